// Temporary directories, whole files, and the files of tests/fixtures.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>

namespace letterbox::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& content);

// Waits until `path` exists (a holder's "I have the lock" marker). False on timeout.
bool wait_for_file(const std::filesystem::path& path, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Writes a file `filler` into `dir` until its filesystem has no room left (at most 256 KiB).
void fill_filesystem(const std::filesystem::path& dir);

// How many times `needle` occurs in `text` (log lines said once, or not).
std::size_t occurrences(const std::string& text, const std::string& needle);

// The path of a file in tests/fixtures.
std::filesystem::path fixture(const std::string& name);

}  // namespace letterbox::test
