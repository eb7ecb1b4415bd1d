#include "letterbox/store/spool.hpp"

#include "letterbox/util/file_io.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

namespace letterbox {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

std::filesystem::path Spool::default_directory() {
  std::error_code ec;
  auto dir = std::filesystem::temp_directory_path(ec);
  return ec ? std::filesystem::path("/tmp") : dir;
}

Spool::Spool(std::filesystem::path directory, std::size_t memory_limit)
    : directory_(std::move(directory)), memory_limit_(memory_limit) {}

void Spool::spill() {
  // O_TMPFILE: the file has no name, so a crash leaves nothing behind to clean up.
  int fd = ::open(directory_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    std::string name = (directory_ / "letterbox-spool.XXXXXX").string();
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.c_str());
  }
  if (fd < 0) throw_errno("cannot create a spool file in " + directory_.string());
  file_ = UniqueFd(fd);
  if (const int err = write_all(file_.get(), memory_); err != 0) {
    errno = err;
    throw_errno("cannot write the spool file");
  }
  memory_.clear();
  memory_.shrink_to_fit();
}

void Spool::append(std::string_view bytes) {
  if (!file_.valid() && memory_.size() + bytes.size() > memory_limit_) spill();
  if (file_.valid()) {
    if (const int err = write_all(file_.get(), bytes); err != 0) {
      errno = err;
      throw_errno("cannot write the spool file");
    }
  } else {
    memory_.append(bytes);
  }
  size_ += bytes.size();
}

int Spool::for_each_chunk(const std::function<int(std::string_view)>& consume) const {
  if (!file_.valid()) return memory_.empty() ? 0 : consume(memory_);
  std::vector<char> buffer(128 * 1024);
  std::uint64_t offset = 0;
  while (offset < size_) {
    const ssize_t n = ::pread(file_.get(), buffer.data(), buffer.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;  // the spool shrank under us
    if (const int err = consume({buffer.data(), static_cast<std::size_t>(n)}); err != 0) return err;
    offset += static_cast<std::uint64_t>(n);
  }
  return 0;
}

int Spool::with_whole_message(const std::function<int(std::string_view)>& use) const {
  if (!file_.valid() || size_ == 0) return use(memory_);
  const auto length = static_cast<std::size_t>(size_);
  void* mapped = ::mmap(nullptr, length, PROT_READ, MAP_PRIVATE, file_.get(), 0);
  if (mapped == MAP_FAILED) return errno;
  int result = 0;
  try {
    result = use({static_cast<const char*>(mapped), length});
  } catch (...) {
    ::munmap(mapped, length);
    throw;
  }
  ::munmap(mapped, length);
  return result;
}

}  // namespace letterbox
