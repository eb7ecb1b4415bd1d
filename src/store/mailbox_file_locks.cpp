#include "letterbox/store/mailbox_file_locks.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "letterbox/observe/metrics.hpp"
#include "letterbox/util/host_name.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/process_identity.hpp"

namespace letterbox {
namespace {

bool is_busy(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EACCES;
}

std::string host_name() {
  std::string name = system_host_name();
  for (char& c : name) {
    if (c == '/' || c == ':') c = '_';
  }
  return name;
}

LockAttempt failed(int err, std::string detail) {
  return LockAttempt{LockTry::Failed, err, std::move(detail) + ": " + std::strerror(err)};
}

}  // namespace

// ---- DotLock ----

DotLock::DotLock(std::filesystem::path lock_path, Duration stale_age)
    : lock_path_(std::move(lock_path)), stale_age_(stale_age) {}

DotLock::~DotLock() {
  unlock();
}

LockAttempt DotLock::try_lock() {
  if (held_) return {LockTry::Acquired, 0, {}};
  static std::atomic<unsigned> sequence{0};
  static const std::string host = host_name();
  // A unique name in the lock's own directory: link() is atomic even over NFS, where O_EXCL was not.
  const auto unique =
      lock_path_.parent_path() / (".lk" + std::to_string(process_id()) + "." + std::to_string(sequence++) + "." + host);
  const int fd = ::open(unique.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return failed(errno, "cannot create " + unique.string());
  const std::string pid = std::to_string(process_id()) + "\n";
  const bool wrote = ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
  const int write_errno = errno;
  ::close(fd);
  if (!wrote) {
    ::unlink(unique.c_str());
    return failed(write_errno, "cannot write " + unique.string());
  }
  const int link_rc = ::link(unique.c_str(), lock_path_.c_str());
  const int link_errno = errno;
  // link() may report failure over NFS when it succeeded; the link count of our file is the truth.
  struct stat st {};
  const bool linked = ::stat(unique.c_str(), &st) == 0 && st.st_nlink == 2;
  ::unlink(unique.c_str());
  if (linked) {
    held_ = true;
    return {LockTry::Acquired, 0, {}};
  }
  if (link_rc != 0 && link_errno != EEXIST) return failed(link_errno, "cannot link " + lock_path_.string());

  // Someone holds it. Break it if it is older than the stale age: its owner died without cleaning up.
  struct stat lock_st {};
  if (::lstat(lock_path_.c_str(), &lock_st) == 0) {
    const auto age = std::chrono::system_clock::now() - std::chrono::system_clock::from_time_t(lock_st.st_mtime);
    if (age > stale_age_) {
      if (::unlink(lock_path_.c_str()) == 0) {
        log::warn("broke stale dotlock {} (age {}s)", lock_path_.string(),
                  std::chrono::duration_cast<std::chrono::seconds>(age).count());
      }
      return {LockTry::Busy, 0, "stale dotlock broken"};
    }
  }
  return {LockTry::Busy, 0, "dotlock " + lock_path_.string() + " is held"};
}

void DotLock::unlock() {
  if (!held_) return;
  held_ = false;
  if (::unlink(lock_path_.c_str()) != 0) {
    log::warn("cannot remove dotlock {}: {}", lock_path_.string(), std::strerror(errno));
  }
}

// ---- FcntlLock ----

LockAttempt FcntlLock::try_lock(int fd) {
  if (fd_ >= 0) return {LockTry::Acquired, 0, {}};
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;  // the whole file, however it grows
  while (::fcntl(fd, F_OFD_SETLK, &fl) != 0) {
    if (errno == EINTR) continue;
    if (is_busy(errno)) return {LockTry::Busy, 0, "fcntl lock is held"};
    return failed(errno, "fcntl lock");
  }
  fd_ = fd;
  return {LockTry::Acquired, 0, {}};
}

void FcntlLock::unlock() {
  if (fd_ < 0) return;
  struct flock fl {};
  fl.l_type = F_UNLCK;
  fl.l_whence = SEEK_SET;
  (void)::fcntl(fd_, F_OFD_SETLK, &fl);
  fd_ = -1;
}

// ---- FlockLock ----

LockAttempt FlockLock::try_lock(int fd, bool exclusive) {
  if (fd_ >= 0) return {LockTry::Acquired, 0, {}};
  while (::flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (is_busy(errno)) return {LockTry::Busy, 0, "flock is held"};
    return failed(errno, "flock");
  }
  fd_ = fd;
  return {LockTry::Acquired, 0, {}};
}

void FlockLock::unlock() {
  if (fd_ < 0) return;
  (void)::flock(fd_, LOCK_UN);
  fd_ = -1;
}

// ---- LockRetry ----

LockRetry::LockRetry(Duration timeout)
    : started_(std::chrono::steady_clock::now()),
      deadline_(started_ + timeout),
      rng_(static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
           static_cast<unsigned>(process_id())) {}

LockRetry::~LockRetry() {
  if (waited_until_) metrics().count_lock_wait(*waited_until_ - started_, !timed_out_);
}

bool LockRetry::backoff() {
  const auto now = std::chrono::steady_clock::now();
  if (now >= deadline_) {
    timed_out_ = true;
    waited_until_ = now;
    return false;
  }
  std::uniform_int_distribution<long> jitter(delay_.count() / 2, delay_.count() * 3 / 2);
  auto sleep = std::chrono::microseconds(jitter(rng_));
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - now);
  if (sleep > left) sleep = left;
  std::this_thread::sleep_for(sleep);
  delay_ = std::min(delay_ * 2, std::chrono::microseconds(100'000));
  waited_until_ = std::chrono::steady_clock::now();
  return true;
}

}  // namespace letterbox
