#include "svtest_run.hpp"

#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "letterbox/sieve/testsuite.hpp"
#include "letterbox/util/file_io.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {
namespace {

namespace fs = std::filesystem;

// Test files and the scripts they name are small; a bound keeps a wrong path (a device) from hanging us.
constexpr std::uint64_t kMaxFile = 16 << 20;

std::optional<std::string> read_text(const fs::path& file) {
  const UniqueFd fd(::open(file.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC));
  std::string text;
  if (!fd || read_all(fd.get(), kMaxFile, text) != 0) return std::nullopt;
  return text;
}

// One line per file: a reason with line breaks in it (test_fail "...${variable}" often has) is joined up.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  return text;
}

bool expected_to_fail(const fs::path& file) {
  return file.parent_path().filename() == "failures";
}

}  // namespace

int run_svtest(const Settings& settings, const std::vector<std::string>& files) {
  std::size_t passed = 0;
  for (const auto& name : files) {
    const fs::path file(name);
    const auto text = read_text(file);
    std::string failure;
    if (!text) {
      failure = "cannot read the file";
    } else {
      sieve::TestsuiteOptions options;
      options.compile_limits.max_script_bytes = settings.sieve.max_script_size;
      // A test file runs many scripts in one run: the per-delivery bounds would stop it half-way.
      options.run_limits.max_cpu_time = std::chrono::seconds(60);
      options.environment.now = std::chrono::system_clock::now();
      options.environment.host = "testsuite.example.org";
      options.environment.domain = "example.org";
      options.environment.version = LETTERBOX_VERSION;
      const fs::path folder = file.parent_path();
      options.read_file = [&folder](const std::string& relative) { return read_text(folder / relative); };
      const auto report = sieve::run_testsuite(*text, options);
      if (expected_to_fail(file)) {
        // As Pigeonhole's own runner has it: every test must fail, not just one.
        if (report.passed()) {
          failure = "expected to fail, but passed";
        } else if (report.failed < report.tests) {
          failure = "expected every test to fail, but " + std::to_string(report.tests - report.failed) + " of " +
                    std::to_string(report.tests) + " passed";
        }
      } else {
        failure = report.first_failure;
      }
    }
    if (failure.empty()) {
      ++passed;
      std::cout << "PASS " << name << "\n";
    } else {
      std::cout << "FAIL " << name << ": " << one_line(failure) << "\n";
    }
  }
  std::cout << passed << " of " << files.size() << " files passed\n";
  return passed == files.size() ? 0 : 1;
}

}  // namespace letterbox
