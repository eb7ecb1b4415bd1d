#include "letterbox/store/mailbox_queue.hpp"

#include <algorithm>

#include "letterbox/observe/metrics.hpp"

namespace letterbox {

std::variant<MailboxQueue::Guard, MailboxQueue::Refusal> MailboxQueue::acquire(
    const std::string& key, std::chrono::steady_clock::time_point deadline) {
  // Without work on offer nothing can be completed for us: a Guard or a Refusal.
  auto turn = acquire(key, deadline, nullptr);
  if (auto* refusal = std::get_if<Refusal>(&turn)) return *refusal;
  return std::move(std::get<Guard>(turn));
}

std::variant<MailboxQueue::Guard, MailboxQueue::Refusal, MailboxQueue::CompletedByHolder> MailboxQueue::acquire(
    const std::string& key, std::chrono::steady_clock::time_point deadline, QueuedWork& work) {
  return acquire(key, deadline, &work);
}

std::variant<MailboxQueue::Guard, MailboxQueue::Refusal, MailboxQueue::CompletedByHolder> MailboxQueue::acquire(
    const std::string& key, std::chrono::steady_clock::time_point deadline, QueuedWork* work) {
  std::unique_lock lock(mutex_);
  Entry& entry = entry_locked(key);
  if (entry.held) {
    if (entry.waiters - entry.claimed >= max_waiters_) {
      metrics().count_lock_refusal();
      return Refusal::TooManyWaiters;
    }
    switch (wait(lock, entry, deadline, work)) {
      case Waited::TimedOut: return Refusal::TimedOut;
      case Waited::Completed:
        // The holder may have released the turn before this waiter woke: the last one out tidies up.
        forget_if_idle(key);
        return CompletedByHolder{};
      case Waited::Turn: break;
    }
  }
  entry.held = true;
  return Guard(this, key);
}

// Called with the mutex held and `entry.held` set. Unclaimed, the waiter gives up at its deadline or
// takes the turn when it is released; claimed, it waits for completion however long that takes (the
// holder is bounded by its own lock timeout and the write), since its result exists nowhere else.
MailboxQueue::Waited MailboxQueue::wait(std::unique_lock<std::mutex>& lock, Entry& entry,
                                        std::chrono::steady_clock::time_point deadline, QueuedWork* work) {
  if (work != nullptr) entry.unclaimed.push_back(work);
  ++entry.waiters;
  const auto began = std::chrono::steady_clock::now();
  Waited result = Waited::Turn;
  for (;;) {
    if (work != nullptr && work->claimed) {
      if (work->done) {
        result = Waited::Completed;
        break;
      }
      entry.changed.wait(lock);
      continue;
    }
    if (!entry.held) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      result = Waited::TimedOut;
      break;
    }
    entry.changed.wait_until(lock, deadline);
  }
  if (work != nullptr && !work->claimed) std::erase(entry.unclaimed, work);
  if (result == Waited::Completed) --entry.claimed;
  --entry.waiters;
  metrics().count_lock_wait(std::chrono::steady_clock::now() - began, result != Waited::TimedOut);
  return result;
}

MailboxQueue::Entry& MailboxQueue::entry_locked(const std::string& key) {
  auto& slot = entries_[key];
  if (!slot) slot = std::make_unique<Entry>();
  return *slot;
}

// With the mutex held: keep the table as small as the set of busy mailboxes.
void MailboxQueue::forget_if_idle(const std::string& key) {
  auto it = entries_.find(key);
  if (it != entries_.end() && !it->second->held && it->second->waiters == 0) entries_.erase(it);
}

void MailboxQueue::release(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  it->second->held = false;
  // All of them: one woken waiter might be claimed work that cannot take the turn. They are at most
  // max_waiters.
  it->second->changed.notify_all();
  forget_if_idle(key);
}

std::vector<QueuedWork*> MailboxQueue::Guard::claim_waiting() {
  std::lock_guard lock(table_->mutex_);
  Entry& entry = *table_->entries_.at(key_);
  std::vector<QueuedWork*> claimed(entry.unclaimed.begin(), entry.unclaimed.end());
  for (QueuedWork* work : claimed) work->claimed = true;
  entry.claimed += static_cast<unsigned>(claimed.size());
  entry.unclaimed.clear();
  return claimed;
}

void MailboxQueue::Guard::complete(std::span<QueuedWork* const> claimed) {
  std::lock_guard lock(table_->mutex_);
  for (QueuedWork* work : claimed) work->done = true;
  table_->entries_.at(key_)->changed.notify_all();
}

unsigned MailboxQueue::waiting(const std::string& key) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second->waiters;
}

void MailboxQueue::set_max_waiters(unsigned max_waiters) {
  std::lock_guard lock(mutex_);
  max_waiters_ = max_waiters;
}

}  // namespace letterbox
