#include "worker_pool.hpp"

#include <algorithm>

#include "letterbox/util/futex.hpp"

namespace letterbox {

void WorkerPool::Worker::sleep() {
  // The wait returns at once if the word is already 1 (woken before we slept), and may return
  // spuriously: only the word says whether we were chosen.
  while (woken.exchange(0, std::memory_order_acquire) == 0) futex_wait(woken, 0);
}

void WorkerPool::Worker::wake() {
  woken.store(1, std::memory_order_release);
  futex_wake(woken, 1);
}

WorkerPool::WorkerPool(unsigned threads) {
  for (unsigned i = 0; i < std::max(1U, threads); ++i) workers_.push_back(std::make_unique<Worker>());
  sleeping_.reserve(workers_.size());
  for (auto& w : workers_) w->thread = std::thread([this, worker = w.get()] { work(*worker); });
}

WorkerPool::~WorkerPool() {
  join();
}

void WorkerPool::post(std::function<void()> job) {
  Worker* wake = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    jobs_.push_back(std::move(job));
    if (!sleeping_.empty()) {
      wake = sleeping_.back();  // the last to sleep: its stack and cache are the warmest
      sleeping_.pop_back();
    }
  }
  if (wake != nullptr) wake->wake();
}

void WorkerPool::join() {
  std::vector<Worker*> wake;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    wake.swap(sleeping_);
  }
  for (Worker* w : wake) w->wake();
  for (auto& w : workers_) w->thread.join();
}

void WorkerPool::work(Worker& self) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!jobs_.empty()) {
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      job = nullptr;  // what it holds (a session's batch, a spool) is released before the next job
      lock.lock();
      continue;
    }
    if (stopping_) return;
    sleeping_.push_back(&self);
    lock.unlock();
    self.sleep();  // until post() or join(), which took us off sleeping_, wakes us
    lock.lock();
  }
}

}  // namespace letterbox
