// MailboxQueue: the in-process queue for each mailbox. Threads of one letterbox-lmtpd delivering to the
// same mbox take turns here before touching the file locks (mailbox_file_locks.hpp), so they queue fairly
// instead of spinning on the dotlock, and at most `max_waiters` wait for one mailbox (the rest are told
// "locked" at once).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

namespace letterbox {

class MailboxQueue {
  struct Entry {
    bool held = false;
    unsigned waiters = 0;
    std::condition_variable released;
  };

 public:
  explicit MailboxQueue(unsigned max_waiters) : max_waiters_(max_waiters) {}

  class Guard {
   public:
    Guard(Guard&& other) noexcept : table_(std::exchange(other.table_, nullptr)), key_(std::move(other.key_)) {}
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    Guard& operator=(Guard&&) = delete;
    ~Guard() {
      if (table_ != nullptr) table_->release(key_);
    }

   private:
    friend class MailboxQueue;
    Guard(MailboxQueue* table, std::string key) : table_(table), key_(std::move(key)) {}
    MailboxQueue* table_;
    std::string key_;
  };

  enum class Refusal { TooManyWaiters, TimedOut };

  // Exclusive use of `key` in this process until the Guard is destroyed; a Refusal if `max_waiters`
  // are already waiting or the deadline passes first.
  std::variant<Guard, Refusal> acquire(const std::string& key, std::chrono::steady_clock::time_point deadline);

  void set_max_waiters(unsigned max_waiters);

 private:
  void release(const std::string& key);

  std::mutex mutex_;
  unsigned max_waiters_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace letterbox
