#include "letterbox/util/host_name.hpp"

#include <unistd.h>

#include <array>

namespace letterbox {

std::string system_host_name() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) return "localhost";
  return buf.data();
}

}  // namespace letterbox
