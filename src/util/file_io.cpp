#include "letterbox/util/file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "letterbox/util/unique_fd.hpp"

namespace letterbox {

int sync_directory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return errno;
  if (::fsync(fd.get()) != 0) return errno;
  return 0;
}

int write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

int read_all(int fd, std::size_t limit, std::string& out) {
  std::string text;
  char buffer[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > limit) return EFBIG;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  out += text;
  return 0;
}

}  // namespace letterbox
