// The mailbox locks other mail programs honour, each a non-blocking try owned by an RAII object:
//  - DotLock: "<mbox>.lock" made the NFS-safe way (unique file, link(), link count 2), as liblockfile,
//    procmail, mutt and Postfix local(8) do; a lock older than the stale age is broken.
//  - FcntlLock: a write lock on the whole file. It is an open-file-description (OFD) lock: it conflicts
//    with other processes' classic fcntl()/lockf() locks like any POSIX lock, but unlike those it also
//    excludes other threads of this process and is not dropped when some other descriptor of the file is
//    closed.
//  - FlockLock: BSD flock(), exclusive for an mbox, shared for a Maildir's letterbox.lock.
// Callers retry with LockRetry and release everything they hold before each back-off.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <random>
#include <string>

#include "letterbox/config/config.hpp"

namespace letterbox {

enum class LockTry { Acquired, Busy, Failed };

struct LockAttempt {
  LockTry result = LockTry::Failed;
  int error = 0;  // errno when Failed
  std::string detail;
};

class DotLock {
 public:
  DotLock(std::filesystem::path lock_path, Duration stale_age);
  DotLock(const DotLock&) = delete;
  DotLock& operator=(const DotLock&) = delete;
  ~DotLock();

  LockAttempt try_lock();
  void unlock();
  [[nodiscard]] bool held() const { return held_; }

 private:
  std::filesystem::path lock_path_;
  Duration stale_age_;
  bool held_ = false;
};

class FcntlLock {
 public:
  FcntlLock() = default;
  FcntlLock(const FcntlLock&) = delete;
  FcntlLock& operator=(const FcntlLock&) = delete;
  ~FcntlLock() { unlock(); }

  // `fd` must stay open while the lock is held; unlock() (or the destructor) runs before it is closed.
  LockAttempt try_lock(int fd);
  void unlock();
  [[nodiscard]] bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

class FlockLock {
 public:
  FlockLock() = default;
  FlockLock(const FlockLock&) = delete;
  FlockLock& operator=(const FlockLock&) = delete;
  ~FlockLock() { unlock(); }

  LockAttempt try_lock(int fd, bool exclusive);
  void unlock();
  // The lock ends with the descriptor's close instead of an unlock: for a descriptor of our own
  // (O_CLOEXEC, never dup'ed) the explicit LOCK_UN is a system call for nothing. Only where no other
  // lock must be let go after this one and before the close.
  void release_on_close() { fd_ = -1; }
  [[nodiscard]] bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Bounded, jittered retries until a deadline. The jitter keeps processes that collided from colliding
// again in lock step; the cap keeps a waiter responsive once the holder lets go. A LockRetry that backed
// off is counted in the metrics when it ends: how long it waited, and whether it gave up.
class LockRetry {
 public:
  explicit LockRetry(Duration timeout);
  ~LockRetry();
  LockRetry(const LockRetry&) = delete;
  LockRetry& operator=(const LockRetry&) = delete;
  // Sleeps before the next attempt; false once the deadline has passed (no more attempts).
  bool backoff();
  [[nodiscard]] std::chrono::steady_clock::time_point deadline() const { return deadline_; }

 private:
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point deadline_;
  std::optional<std::chrono::steady_clock::time_point> waited_until_;  // the end of the last back-off
  bool timed_out_ = false;
  std::chrono::microseconds delay_{2000};
  std::minstd_rand rng_;
};

}  // namespace letterbox
