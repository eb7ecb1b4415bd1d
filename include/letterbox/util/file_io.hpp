// Small checked I/O helpers shared by the spool and the stores. Each returns 0 or an errno.
#pragma once

#include <filesystem>
#include <string_view>

namespace letterbox {

// Writes all of `bytes`, retrying short writes and EINTR.
int write_all(int fd, std::string_view bytes);

// fsync() of a directory, so that a new name in it survives a crash.
int sync_directory(const std::filesystem::path& dir);

}  // namespace letterbox
