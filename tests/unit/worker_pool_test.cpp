#include "worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using namespace letterbox;
using namespace std::chrono_literals;

// Four network threads posting at once to a pool of three, as lmtpd's sessions do: every job runs once.
TEST(WorkerPool, EveryJobPostedFromManyThreadsRunsExactlyOnce) {
  std::atomic<int> ran{0};
  std::mutex mutex;
  std::set<int> seen;
  {
    WorkerPool pool(3);
    std::vector<std::thread> posters;
    for (int p = 0; p < 4; ++p) {
      posters.emplace_back([&, p] {
        for (int i = 0; i < 5000; ++i) {
          pool.post([&, id = p * 5000 + i] {
            ++ran;
            std::lock_guard lock(mutex);
            seen.insert(id);
          });
        }
      });
    }
    for (auto& t : posters) t.join();
  }  // the destructor joins: what was posted has run
  EXPECT_EQ(ran.load(), 20000);
  EXPECT_EQ(seen.size(), 20000U);
}

// A job that blocks (an fsync, a lock wait) holds one worker; the others keep taking jobs.
TEST(WorkerPool, ABlockedJobDoesNotHoldUpTheOthers) {
  WorkerPool pool(2);
  std::atomic<bool> release{false};
  std::atomic<int> done{0};
  pool.post([&] {
    while (!release) std::this_thread::sleep_for(1ms);
  });
  for (int i = 0; i < 100; ++i) pool.post([&] { ++done; });
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (done < 100 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(done.load(), 100);
  release = true;
}

// SIGTERM: the jobs already queued (deliveries in flight) finish before join() returns; later posts are dropped.
TEST(WorkerPool, JoinRunsWhatWasQueuedAndNothingAfter) {
  std::atomic<int> ran{0};
  WorkerPool pool(1);
  for (int i = 0; i < 50; ++i) {
    pool.post([&] {
      std::this_thread::sleep_for(100us);
      ++ran;
    });
  }
  pool.join();
  EXPECT_EQ(ran.load(), 50);
  pool.post([&] { ++ran; });
  pool.join();  // a second join is harmless
  EXPECT_EQ(ran.load(), 50);
}

// Workers that slept for a while wake for new work (no wake-up is lost between the check and the sleep).
TEST(WorkerPool, IdleWorkersWakeForEachNewJob) {
  WorkerPool pool(4);
  for (int round = 0; round < 200; ++round) {
    std::atomic<bool> done{false};
    pool.post([&] { done = true; });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    ASSERT_TRUE(done) << "round " << round;
    if (round % 50 == 0) std::this_thread::sleep_for(5ms);  // let every worker go to sleep
  }
}
