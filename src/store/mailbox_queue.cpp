#include "letterbox/store/mailbox_queue.hpp"

#include "letterbox/observe/metrics.hpp"

namespace letterbox {

std::variant<MailboxQueue::Guard, MailboxQueue::Refusal> MailboxQueue::acquire(
    const std::string& key, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  auto& slot = entries_[key];
  if (!slot) slot = std::make_unique<Entry>();
  Entry& entry = *slot;
  if (entry.held) {
    if (entry.waiters >= max_waiters_) {
      metrics().count_lock_refusal();
      return Refusal::TooManyWaiters;
    }
    ++entry.waiters;
    const auto began = std::chrono::steady_clock::now();
    const bool got = entry.released.wait_until(lock, deadline, [&] { return !entry.held; });
    --entry.waiters;
    metrics().count_lock_wait(std::chrono::steady_clock::now() - began, got);
    if (!got) return Refusal::TimedOut;
  }
  entry.held = true;
  return Guard(this, key);
}

void MailboxQueue::release(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  it->second->held = false;
  if (it->second->waiters == 0) {
    entries_.erase(it);  // keep the table as small as the set of busy mailboxes
  } else {
    it->second->released.notify_one();
  }
}

void MailboxQueue::set_max_waiters(unsigned max_waiters) {
  std::lock_guard lock(mutex_);
  max_waiters_ = max_waiters;
}

}  // namespace letterbox
