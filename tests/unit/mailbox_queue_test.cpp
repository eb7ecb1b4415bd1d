#include "letterbox/store/mailbox_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace letterbox;
using namespace std::chrono_literals;

TEST(MailboxQueue, OneHolderAtATimePerMailbox) {
  MailboxQueue locks(100);
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto g = locks.acquire("/m/a", std::chrono::steady_clock::now() + 10s);
        ASSERT_TRUE(std::holds_alternative<MailboxQueue::Guard>(g));
        const int now = ++inside;
        int seen = max_inside.load();
        while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --inside;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(max_inside.load(), 1);
}

TEST(MailboxQueue, DifferentMailboxesDoNotWait) {
  MailboxQueue locks(1);
  auto a = locks.acquire("/m/a", std::chrono::steady_clock::now());
  auto b = locks.acquire("/m/b", std::chrono::steady_clock::now());
  EXPECT_TRUE(std::holds_alternative<MailboxQueue::Guard>(a));
  EXPECT_TRUE(std::holds_alternative<MailboxQueue::Guard>(b));
}

TEST(MailboxQueue, TimesOutAndLimitsWaiters) {
  MailboxQueue locks(1);
  auto held = locks.acquire("/m/a", std::chrono::steady_clock::now());
  ASSERT_TRUE(std::holds_alternative<MailboxQueue::Guard>(held));
  std::thread waiter([&] {
    auto r = locks.acquire("/m/a", std::chrono::steady_clock::now() + 500ms);
    ASSERT_TRUE(std::holds_alternative<MailboxQueue::Refusal>(r));
    EXPECT_EQ(std::get<MailboxQueue::Refusal>(r), MailboxQueue::Refusal::TimedOut);
  });
  std::this_thread::sleep_for(100ms);
  // One is already waiting: the next is refused at once.
  const auto start = std::chrono::steady_clock::now();
  auto r = locks.acquire("/m/a", std::chrono::steady_clock::now() + 5s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
  ASSERT_TRUE(std::holds_alternative<MailboxQueue::Refusal>(r));
  EXPECT_EQ(std::get<MailboxQueue::Refusal>(r), MailboxQueue::Refusal::TooManyWaiters);
  waiter.join();
}

TEST(MailboxQueue, ReleaseHandsOver) {
  MailboxQueue locks(4);
  std::optional<std::variant<MailboxQueue::Guard, MailboxQueue::Refusal>> held;
  held.emplace(locks.acquire("/m/a", std::chrono::steady_clock::now()));
  std::thread waiter([&] {
    auto r = locks.acquire("/m/a", std::chrono::steady_clock::now() + 5s);
    EXPECT_TRUE(std::holds_alternative<MailboxQueue::Guard>(r));
  });
  std::this_thread::sleep_for(50ms);
  held.reset();
  waiter.join();
}
