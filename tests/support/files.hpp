// Temporary directories, whole files, and the files of tests/fixtures.
#pragma once

#include <chrono>
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

// The path of a file in tests/fixtures.
std::filesystem::path fixture(const std::string& name);

}  // namespace letterbox::test
