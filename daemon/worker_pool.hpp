// WorkerPool: the threads that do what blocks (a directory look-up, an fsync, a lock wait) for the
// network threads. One queue under one mutex; a job wakes one sleeping worker and no more (each sleeps on
// a futex word of its own), and a worker that finishes a job takes the next queued one before it sleeps.
// A hand-off is then one futex wake and one futex wait. Asio's thread_pool chains wake-ups (a worker that
// dequeues wakes another while work remains), a condition variable adds a wake of its own when a waiter
// returns, and std::binary_semaphore spins with sched_yield before it sleeps: under letterbox-lmtpd's
// load each cost one or more system calls per job.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace letterbox {

class WorkerPool {
 public:
  explicit WorkerPool(unsigned threads);
  ~WorkerPool();  // join()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `job` on a worker. A job must not throw (an exception would end the process): each catches its own.
  void post(std::function<void()> job);

  // Runs every job already posted, then ends the threads. Posting afterwards runs nothing.
  void join();

 private:
  struct Worker {
    std::atomic<int> woken{0};  // the futex word: 1 once post() or join() has chosen this worker
    std::thread thread;
    void sleep();
    void wake();
  };
  void work(Worker& self);

  std::mutex mutex_;
  std::deque<std::function<void()>> jobs_;
  std::vector<Worker*> sleeping_;  // each sleeps on its own futex word; a job or the stop wakes it
  bool stopping_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace letterbox
