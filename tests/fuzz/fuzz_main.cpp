// The libFuzzer entry point of one target; CMake builds one executable per target with
// LETTERBOX_FUZZ_TARGET naming its function in fuzz_targets.hpp.
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return letterbox::fuzz::LETTERBOX_FUZZ_TARGET(data, size);
}
