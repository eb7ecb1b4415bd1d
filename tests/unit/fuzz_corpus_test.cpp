// Every committed fuzz input — the seed corpora and the regressions (inputs that once crashed) — run
// through the same targets libFuzzer runs (tests/fuzz), so every build replays them, not only the fuzzing
// one. A failed invariant aborts unit_tests with the invariant's file and line (FUZZ_CHECK).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz_targets.hpp"

namespace {

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class FuzzCorpus : public ::testing::TestWithParam<letterbox::fuzz::Target> {};

TEST_P(FuzzCorpus, EveryCommittedInputKeepsTheInvariants) {
  const auto target = GetParam();
  std::size_t inputs = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    const auto dir = std::filesystem::path(LETTERBOX_SOURCE_DIR) / "tests" / "fuzz" / kind / target.name;
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const auto bytes = read_all(entry.path());
      SCOPED_TRACE(entry.path().string());
      target.run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      ++inputs;
    }
  }
  EXPECT_GT(inputs, 0U) << "no seed corpus for " << target.name;
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzCorpus, ::testing::ValuesIn(letterbox::fuzz::kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
