// Deliveries to one mbox that queue in one process while another program holds the mailbox's fcntl lock:
// the delivery that holds the turn writes them all under one set of locks and one fsync, and each still
// gets its own outcome, as a user sees it in the replies and the mailbox.
#include <algorithm>
#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

#include "letterbox/store/mbox_store.hpp"
#include "store_fixture.hpp"

using namespace letterbox;
using namespace letterbox::test;
using namespace std::chrono_literals;

namespace {

const char* const kLocked = "450 4.2.0 <alice@example.org> Mailbox locked, try again later";
const char* const kFull = "450 4.2.2 <alice@example.org> Mailbox full";
const std::string kHeaders = "Return-Path: <sender@example.org>\nDelivered-To: alice@example.org\n";

class MboxGroupAppendTest : public StoreTest {
 protected:
  MboxGroupAppendTest() { std::filesystem::create_directories(mbox().parent_path()); }

  std::filesystem::path mbox() const { return mail_root() / "example.org" / "alice.mbox"; }

  // Another program (mutt, Postfix local) holds the fcntl lock until the Background is stopped.
  std::unique_ptr<Background> hold_fcntl_lock() {
    auto holder = std::make_unique<Background>(std::vector<std::string>{
        "/usr/bin/python3", fixture("fcntl_holder.py").string(), mbox().string(), (tmp_ / "ready").string()});
    EXPECT_TRUE(wait_for_file(tmp_ / "ready"));
    return holder;
  }

  // One delivery of `body` through `store`, with the headers the Deliverer adds.
  Outcome append(MboxStore& store, const std::string& body, std::uint64_t quota, MboxAppend* where) {
    const Spool spool = spool_of(body);
    return store.append(mbox(), Message{spool, kHeaders, "sender@example.org"}, quota, where);
  }

  // Waits until `count` deliveries wait in `queue` behind the one holding the turn.
  bool wait_for_queued(MailboxQueue& queue, unsigned count) {
    return wait_until([&] { return queue.waiting(mbox().string()) >= count; }, 5s);
  }

  // Delivers `bodies` at once while another program holds the fcntl lock: one delivery holds the turn and
  // retries the lock, the others queue behind it, and the lock is let go once they all wait. `where`, when
  // given, gets each copy's offsets.
  std::vector<Outcome> deliver_queued(MailboxQueue& queue, MboxStore& store, const std::vector<std::string>& bodies,
                                      std::uint64_t quota, std::vector<MboxAppend>* where = nullptr) {
    auto holder = hold_fcntl_lock();
    std::vector<Outcome> outcomes(bodies.size());
    if (where != nullptr) where->assign(bodies.size(), {});
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      threads.emplace_back(
          [&, i] { outcomes[i] = append(store, bodies[i], quota, where != nullptr ? &(*where)[i] : nullptr); });
    }
    EXPECT_TRUE(wait_for_queued(queue, bodies.size() - 1));
    holder->stop();
    for (auto& t : threads) t.join();
    return outcomes;
  }

  // The ids read_mailbox.py found intact, sorted; any damaged message fails the test.
  std::vector<std::string> intact_ids() {
    const auto report = read_mailbox("mbox", mbox());
    std::vector<std::string> ids;
    std::istringstream lines(report);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.starts_with("count ")) continue;
      EXPECT_NE(line.find("\tOK\t<sender@example.org>\talice@example.org"), std::string::npos) << report;
      ids.push_back(line.substr(0, line.find('\t')));
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }
};

}  // namespace

TEST_F(MboxGroupAppendTest, DeliveriesQueuedBehindALockHolderAreAllAppendedIntactAndContiguous) {
  MailboxQueue queue(8);
  MboxStore store(settings_.delivery, settings_.mbox, queue);
  ASSERT_TRUE(is_reply(append(store, test_message("seed"), 0, nullptr), kDelivered));
  const auto seeded = std::filesystem::file_size(mbox());
  settings_.delivery.lock_timeout = 10s;  // the store reads the settings it was given by reference

  constexpr int kDeliveries = 5;
  std::vector<std::string> bodies;
  for (int i = 0; i < kDeliveries; ++i) bodies.push_back(test_message("group-" + std::to_string(i)));
  std::vector<MboxAppend> where;
  const auto outcomes = deliver_queued(queue, store, bodies, 0, &where);

  for (const auto& outcome : outcomes) EXPECT_TRUE(is_reply(outcome, kDelivered));
  EXPECT_EQ(intact_ids(), (std::vector<std::string>{"group-0", "group-1", "group-2", "group-3", "group-4", "seed"}));
  // Each copy's offsets are exact: take_back() cuts the file at them.
  std::sort(where.begin(), where.end(), [](const MboxAppend& a, const MboxAppend& b) { return a.start < b.start; });
  EXPECT_EQ(where.front().start, seeded);
  for (int i = 0; i < kDeliveries; ++i) {
    EXPECT_LT(where[i].start, where[i].end);
    if (i > 0) {
      EXPECT_EQ(where[i].start, where[i - 1].end);
    }
    EXPECT_EQ(where[i].inode, where[0].inode);
  }
  EXPECT_EQ(where.back().end, std::filesystem::file_size(mbox()));
  EXPECT_FALSE(std::filesystem::exists(mbox().string() + ".lock"));
}

TEST_F(MboxGroupAppendTest, AnOverQuotaMessageInABatchFailsAloneAndTheOthersAreDelivered) {
  MailboxQueue queue(8);
  MboxStore store(settings_.delivery, settings_.mbox, queue);
  ASSERT_TRUE(is_reply(append(store, test_message("seed"), 0, nullptr), kDelivered));
  const auto seeded = std::filesystem::file_size(mbox());
  settings_.delivery.lock_timeout = 10s;

  // Room for the four small messages wherever the big one falls in the batch, never for the big one.
  const std::string big = test_message("big") + std::string(64 * 1024, 'x') + "\n";
  const std::uint64_t quota = seeded + 4 * (test_message("small-0").size() + kHeaders.size() + 200) + 1024;
  const std::vector<std::string> bodies{test_message("small-0"), test_message("small-1"), big, test_message("small-2"),
                                        test_message("small-3")};
  const auto outcomes = deliver_queued(queue, store, bodies, quota);

  for (std::size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_TRUE(is_reply(outcomes[i], i == 2 ? kFull : kDelivered)) << "delivery " << i;
  }
  EXPECT_EQ(intact_ids(), (std::vector<std::string>{"seed", "small-0", "small-1", "small-2", "small-3"}));
}

TEST_F(MboxGroupAppendTest, AWriteThatFailsMidBatchIsCutOffAloneAndTheOthersAreDelivered) {
  if (!mount_tiny_filesystem("256k")) GTEST_SKIP() << "needs root to mount a tmpfs";
  std::filesystem::create_directories(mbox().parent_path());
  MailboxQueue queue(8);
  MboxStore store(settings_.delivery, settings_.mbox, queue);
  ASSERT_TRUE(is_reply(append(store, test_message("seed"), 0, nullptr), kDelivered));
  settings_.delivery.lock_timeout = 10s;

  // Bigger than the filesystem: its write starts, fails with ENOSPC and must leave no byte behind; the
  // messages before it in the batch stay, and the ones after it still fit.
  std::string big = test_message("big");
  big.insert(big.find("\n\n") + 2, std::string(512 * 1024, 'x') + "\n");
  const std::vector<std::string> bodies{test_message("small-0"), test_message("small-1"), big, test_message("small-2"),
                                        test_message("small-3")};
  const auto outcomes = deliver_queued(queue, store, bodies, 0);

  for (std::size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_TRUE(
        is_reply(outcomes[i], i == 2 ? "452 4.3.1 <alice@example.org> Insufficient system storage" : kDelivered))
        << "delivery " << i;
  }
  EXPECT_EQ(intact_ids(), (std::vector<std::string>{"seed", "small-0", "small-1", "small-2", "small-3"}));
}

TEST_F(MboxGroupAppendTest, AWaiterWhoseDeadlinePassesUnclaimedIsLockedAndNotInTheMailbox) {
  MailboxQueue queue(8);
  Settings patient = settings_;
  patient.delivery.lock_timeout = 3s;
  Settings hasty = settings_;
  hasty.delivery.lock_timeout = 500ms;
  MboxStore first(patient.delivery, patient.mbox, queue);
  MboxStore second(hasty.delivery, hasty.mbox, queue);
  ASSERT_TRUE(is_reply(append(first, test_message("seed"), 0, nullptr), kDelivered));

  auto holder = hold_fcntl_lock();
  Outcome held_turn;
  std::thread turn_holder([&] { held_turn = append(first, test_message("first"), 0, nullptr); });
  std::this_thread::sleep_for(200ms);  // `first` takes the turn and retries the fcntl lock
  // Queued behind `first`, which is still waiting for the other program's lock when this deadline passes.
  Outcome queued;
  std::chrono::milliseconds took{};
  std::thread waiter([&] { took = timed([&] { queued = append(second, test_message("second"), 0, nullptr); }); });
  EXPECT_TRUE(wait_for_queued(queue, 1)) << "`second` must wait in the queue, not hold the turn";
  waiter.join();
  EXPECT_TRUE(is_reply(queued, kLocked)) << "waited " << took.count() << "ms";
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_EQ(queue.waiting(mbox().string()), 0U);
  holder->stop();
  turn_holder.join();
  EXPECT_TRUE(is_reply(held_turn, kDelivered));
  EXPECT_EQ(intact_ids(), (std::vector<std::string>{"first", "seed"}));
}
