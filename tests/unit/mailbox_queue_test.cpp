#include "letterbox/store/mailbox_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
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

namespace {

// A waiter's work as a store would define it: what to do, and where the holder puts the result.
struct Work : QueuedWork {
  explicit Work(int input) : input(input) {}
  int input;
  int result = 0;
};

using Turn = std::variant<MailboxQueue::Guard, MailboxQueue::Refusal, MailboxQueue::CompletedByHolder>;

bool wait_for_waiters(MailboxQueue& queue, const std::string& key, unsigned count) {
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (queue.waiting(key) < count) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace

TEST(MailboxQueue, TheHolderClaimsQueuedWorkInOrderAndCompletesIt) {
  MailboxQueue queue(8);
  auto held = queue.acquire("/m/a", std::chrono::steady_clock::now());
  auto& guard = std::get<MailboxQueue::Guard>(held);
  std::vector<std::unique_ptr<Work>> works;
  std::vector<std::thread> waiters;
  std::vector<int> results(3, -1);
  for (int i = 0; i < 3; ++i) {
    works.push_back(std::make_unique<Work>(i + 1));
    waiters.emplace_back([&, i] {
      Turn turn = queue.acquire("/m/a", std::chrono::steady_clock::now() + 5s, *works[i]);
      ASSERT_TRUE(std::holds_alternative<MailboxQueue::CompletedByHolder>(turn));
      results[i] = works[i]->result;
    });
    ASSERT_TRUE(wait_for_waiters(queue, "/m/a", i + 1));  // one at a time, so the order is known
  }
  // A plain waiter (take_back) carries no work: it is never claimed, and waits for the turn.
  std::thread plain([&] {
    auto turn = queue.acquire("/m/a", std::chrono::steady_clock::now() + 5s);
    EXPECT_TRUE(std::holds_alternative<MailboxQueue::Guard>(turn));
  });
  ASSERT_TRUE(wait_for_waiters(queue, "/m/a", 4));

  const auto claimed = guard.claim_waiting();
  ASSERT_EQ(claimed.size(), 3U);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(claimed[i], works[i].get());
    EXPECT_TRUE(claimed[i]->claimed);
  }
  EXPECT_TRUE(guard.claim_waiting().empty()) << "claimed work is gone from the queue";
  for (QueuedWork* work : claimed) {
    auto* mine = static_cast<Work*>(work);
    mine->result = mine->input * 10;
  }
  guard.complete(claimed);
  for (auto& t : waiters) t.join();
  EXPECT_EQ(results, (std::vector<int>{10, 20, 30}));
  held = MailboxQueue::Refusal::TimedOut;  // releases the turn to the plain waiter
  plain.join();
  EXPECT_EQ(queue.waiting("/m/a"), 0U);
}

TEST(MailboxQueue, UnclaimedWorkIsWithdrawnAtItsDeadline) {
  MailboxQueue queue(8);
  auto held = queue.acquire("/m/a", std::chrono::steady_clock::now());
  auto& guard = std::get<MailboxQueue::Guard>(held);
  Work work(1);
  const auto start = std::chrono::steady_clock::now();
  Turn turn = queue.acquire("/m/a", start + 200ms, work);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  ASSERT_TRUE(std::holds_alternative<MailboxQueue::Refusal>(turn));
  EXPECT_EQ(std::get<MailboxQueue::Refusal>(turn), MailboxQueue::Refusal::TimedOut);
  EXPECT_FALSE(work.claimed);
  EXPECT_TRUE(guard.claim_waiting().empty()) << "a withdrawn request must not be left for the holder";
  EXPECT_EQ(queue.waiting("/m/a"), 0U);
}

TEST(MailboxQueue, ClaimedWorkIsWaitedForPastItsDeadline) {
  MailboxQueue queue(8);
  auto held = queue.acquire("/m/a", std::chrono::steady_clock::now());
  auto& guard = std::get<MailboxQueue::Guard>(held);
  Work work(7);
  std::chrono::steady_clock::duration took{};
  std::thread waiter([&] {
    const auto start = std::chrono::steady_clock::now();
    Turn turn = queue.acquire("/m/a", start + 100ms, work);
    took = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(std::holds_alternative<MailboxQueue::CompletedByHolder>(turn));
    EXPECT_EQ(work.result, 70);
  });
  ASSERT_TRUE(wait_for_waiters(queue, "/m/a", 1));
  const auto claimed = guard.claim_waiting();
  ASSERT_EQ(claimed.size(), 1U);
  std::this_thread::sleep_for(400ms);  // the holder's write outlasts the waiter's deadline
  work.result = 70;
  guard.complete(claimed);
  waiter.join();
  EXPECT_GE(took, 400ms);
}

TEST(MailboxQueue, UnclaimedWorkTakesTheTurnWhenTheHolderLeavesItThere) {
  // A holder that could not lock the file claims nothing: the queued delivery becomes the next holder.
  MailboxQueue queue(8);
  std::optional<std::variant<MailboxQueue::Guard, MailboxQueue::Refusal>> held;
  held.emplace(queue.acquire("/m/a", std::chrono::steady_clock::now()));
  Work first(1);
  Work second(2);
  std::atomic<int> turns{0};
  std::atomic<int> completed{0};
  const auto deliver = [&](Work& work) {
    Turn turn = queue.acquire("/m/a", std::chrono::steady_clock::now() + 5s, work);
    if (auto* guard = std::get_if<MailboxQueue::Guard>(&turn)) {
      ++turns;
      EXPECT_FALSE(work.claimed);
      guard->complete(guard->claim_waiting());
    } else if (std::holds_alternative<MailboxQueue::CompletedByHolder>(turn)) {
      ++completed;
    }
  };
  std::thread a([&] { deliver(first); });
  ASSERT_TRUE(wait_for_waiters(queue, "/m/a", 1));
  std::thread b([&] { deliver(second); });
  ASSERT_TRUE(wait_for_waiters(queue, "/m/a", 2));
  held.reset();
  a.join();
  b.join();
  EXPECT_EQ(turns.load(), 1);
  EXPECT_EQ(completed.load(), 1);
  EXPECT_EQ(queue.waiting("/m/a"), 0U);
  EXPECT_TRUE(std::holds_alternative<MailboxQueue::Guard>(queue.acquire("/m/a", std::chrono::steady_clock::now())));
}

TEST(MailboxQueue, WorkCarryingWaitersCountTowardsMaxWaiters) {
  MailboxQueue queue(1);
  auto held = queue.acquire("/m/a", std::chrono::steady_clock::now());
  auto& guard = std::get<MailboxQueue::Guard>(held);
  Work queued(1);
  std::thread waiter([&] {
    Turn turn = queue.acquire("/m/a", std::chrono::steady_clock::now() + 5s, queued);
    EXPECT_TRUE(std::holds_alternative<MailboxQueue::CompletedByHolder>(turn));
  });
  ASSERT_TRUE(wait_for_waiters(queue, "/m/a", 1));
  Work refused(2);
  Turn turn = queue.acquire("/m/a", std::chrono::steady_clock::now() + 5s, refused);
  ASSERT_TRUE(std::holds_alternative<MailboxQueue::Refusal>(turn));
  EXPECT_EQ(std::get<MailboxQueue::Refusal>(turn), MailboxQueue::Refusal::TooManyWaiters);
  guard.complete(guard.claim_waiting());
  waiter.join();
}

// Claimed work is being done by the holder: its waiters no longer hold a place in the queue, so a
// delivery arriving while the batch is written may wait for the next turn instead of being refused.
TEST(MailboxQueue, ClaimedWorkLeavesItsPlaceInTheQueue) {
  MailboxQueue queue(1);
  auto held = queue.acquire("/m/a", std::chrono::steady_clock::now());
  auto& guard = std::get<MailboxQueue::Guard>(held);
  Work claimed_work(1);
  std::thread claimed_waiter([&] {
    Turn turn = queue.acquire("/m/a", std::chrono::steady_clock::now() + 5s, claimed_work);
    EXPECT_TRUE(std::holds_alternative<MailboxQueue::CompletedByHolder>(turn));
  });
  ASSERT_TRUE(wait_for_waiters(queue, "/m/a", 1));
  const auto claimed = guard.claim_waiting();
  ASSERT_EQ(claimed.size(), 1U);
  Work later(2);
  std::thread later_waiter([&] {
    Turn turn = queue.acquire("/m/a", std::chrono::steady_clock::now() + 5s, later);
    EXPECT_TRUE(std::holds_alternative<MailboxQueue::Guard>(turn)) << "refused although only claimed work waited";
  });
  ASSERT_TRUE(wait_for_waiters(queue, "/m/a", 2));
  guard.complete(claimed);
  claimed_waiter.join();
  held = MailboxQueue::Refusal::TimedOut;  // releases the turn to the later delivery
  later_waiter.join();
  EXPECT_FALSE(later.claimed);
}
