// MailboxQueue: the in-process queue for each mailbox. Threads of one letterbox-lmtpd delivering to the
// same mbox take turns here before touching the file locks (mailbox_file_locks.hpp), so they queue fairly
// instead of spinning on the dotlock, and at most `max_waiters` wait for one mailbox (the rest are told
// "locked" at once).
//
// A waiter may also leave its work with its place in the queue (QueuedWork). The turn holder, once it
// has the file locks, claims all of it with Guard::claim_waiting(), does it alongside its own, and
// completes each piece; the waiter then returns without ever taking the turn. Work that is still
// unclaimed when its deadline passes is withdrawn (TimedOut); claimed work is always waited for, since
// only the holder can say how it went.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace letterbox {

// One waiter's work, left with the queue. The caller derives its own request from it (what to do, and
// where the holder puts the result); the queue only reads and writes these flags, under its mutex.
struct QueuedWork {
  bool claimed = false;  // a holder took it: only that holder may complete it, and it must
  bool done = false;     // the holder finished it; the derived request holds the result
};

class MailboxQueue {
  struct Entry {
    bool held = false;
    unsigned waiters = 0;
    unsigned claimed = 0;  // of the waiters: those whose work the holder is doing (max_waiters spares them)
    std::deque<QueuedWork*> unclaimed;  // in arrival order
    std::condition_variable changed;    // the turn was released, or claimed work was completed
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

    // Takes every piece of work waiting for this mailbox, oldest first. The holder must complete each one
    // before this Guard is destroyed, whatever happens: its waiter waits for nothing else.
    std::vector<QueuedWork*> claim_waiting();

    // Marks claimed work done (each result already written by the holder) and wakes the waiters, once
    // for all of them.
    void complete(std::span<QueuedWork* const> claimed);

   private:
    friend class MailboxQueue;
    Guard(MailboxQueue* table, std::string key) : table_(table), key_(std::move(key)) {}
    MailboxQueue* table_;
    std::string key_;
  };

  enum class Refusal { TooManyWaiters, TimedOut };
  // The turn holder did the waiter's work: the result is in the derived QueuedWork.
  struct CompletedByHolder {};

  // Exclusive use of `key` in this process until the Guard is destroyed; a Refusal if `max_waiters`
  // are already waiting or the deadline passes first.
  std::variant<Guard, Refusal> acquire(const std::string& key, std::chrono::steady_clock::time_point deadline);

  // The same, but while it waits, `work` is on offer to the holder: CompletedByHolder if a holder claimed
  // and completed it (possibly after the deadline: claimed work is never abandoned). `work` must stay
  // alive until this returns, and on a Guard or a Refusal it was never claimed.
  std::variant<Guard, Refusal, CompletedByHolder> acquire(const std::string& key,
                                                          std::chrono::steady_clock::time_point deadline,
                                                          QueuedWork& work);

  // How many deliveries wait for `key` now (claimed or not), for tests and metrics.
  unsigned waiting(const std::string& key);

  void set_max_waiters(unsigned max_waiters);

 private:
  enum class Waited { Turn, TimedOut, Completed };
  std::variant<Guard, Refusal, CompletedByHolder> acquire(const std::string& key,
                                                          std::chrono::steady_clock::time_point deadline,
                                                          QueuedWork* work);
  Waited wait(std::unique_lock<std::mutex>& lock, Entry& entry, std::chrono::steady_clock::time_point deadline,
              QueuedWork* work);
  Entry& entry_locked(const std::string& key);
  void forget_if_idle(const std::string& key);
  void release(const std::string& key);

  std::mutex mutex_;
  unsigned max_waiters_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace letterbox
