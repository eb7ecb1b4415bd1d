// Small checked I/O helpers shared by the spool and the stores. Each returns 0 or an errno.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace letterbox {

// Writes all of `bytes`, retrying short writes and EINTR.
int write_all(int fd, std::string_view bytes);

// Appends everything `fd` holds to `out`, retrying short reads and EINTR; EFBIG (and `out` unchanged)
// when there are more than `limit` bytes, so that untrusted input never takes more memory than allowed.
int read_all(int fd, std::size_t limit, std::string& out);

// fsync() of a directory, so that a new name in it survives a crash.
int sync_directory(const std::filesystem::path& dir);

}  // namespace letterbox
