#include "letterbox/store/fsync_batch.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "letterbox/util/unique_fd.hpp"
#include "test_support.hpp"

using namespace letterbox;
using namespace std::chrono_literals;

namespace {

// A sync that blocks until released, counting how often it ran and how often it was entered.
class GatedSync {
 public:
  int operator()(const std::filesystem::path& /*dir*/) {
    std::unique_lock lock(mutex_);
    ++started_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_ >= started_; });
    return error_;
  }
  void release_one() {
    std::lock_guard lock(mutex_);
    ++released_;
    changed_.notify_all();
  }
  void release_all() {
    std::lock_guard lock(mutex_);
    released_ = 1'000'000;
    changed_.notify_all();
  }
  bool wait_started(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return started_ >= n; });
  }
  int started() {
    std::lock_guard lock(mutex_);
    return started_;
  }
  void fail_with(int error) {
    std::lock_guard lock(mutex_);
    error_ = error;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int started_ = 0;
  int released_ = 0;
  int error_ = 0;
};

}  // namespace

TEST(FsyncBatch, ConcurrentCallersShareOneSync) {
  GatedSync gate;
  FsyncBatch syncs([&](const std::filesystem::path& dir) { return gate(dir); });
  std::thread leader([&] { EXPECT_EQ(syncs.sync("/m/new"), 0); });
  ASSERT_TRUE(gate.wait_started(1));
  // These arrive while the first sync runs: they must not ride on it, but all of them share the next.
  std::vector<std::thread> followers;
  std::atomic<int> done{0};
  for (int i = 0; i < 8; ++i) {
    followers.emplace_back([&] {
      EXPECT_EQ(syncs.sync("/m/new"), 0);
      ++done;
    });
  }
  std::this_thread::sleep_for(100ms);
  gate.release_one();
  leader.join();
  EXPECT_EQ(done.load(), 0);  // the first sync may have started before their links: they still wait
  ASSERT_TRUE(gate.wait_started(2));
  gate.release_all();
  for (auto& t : followers) t.join();
  EXPECT_EQ(done.load(), 8);
  EXPECT_EQ(gate.started(), 2);
}

// Many callers at once, over and over: each must return only after a sync that started after its call
// has ended. Syncs of one path run one at a time, so the syncs end in the order they start, and that is
// "more syncs ended at the return than had started at the call".
TEST(FsyncBatch, UnderLoadEveryCallerWaitsForASyncThatStartedAfterIt) {
  std::atomic<int> started{0};
  std::atomic<int> ended{0};
  std::atomic<int> running{0};
  FsyncBatch syncs([&](const std::filesystem::path& /*dir*/) {
    EXPECT_EQ(running.fetch_add(1), 0) << "two syncs of one path at once";
    ++started;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    ++ended;
    --running;
    return 0;
  });
  std::atomic<int> early{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 12; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 150; ++i) {
        const int before = started.load();
        EXPECT_EQ(syncs.sync("/m/new"), 0);
        if (ended.load() <= before) ++early;
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(early.load(), 0);
  EXPECT_LT(started.load(), 12 * 150) << "callers that arrive together share a sync";
}

TEST(FsyncBatch, EveryCallerOfAFailedSyncSeesTheError) {
  GatedSync gate;
  gate.fail_with(EIO);
  FsyncBatch syncs([&](const std::filesystem::path& dir) { return gate(dir); });
  std::thread leader([&] { EXPECT_EQ(syncs.sync("/m/new"), EIO); });
  ASSERT_TRUE(gate.wait_started(1));
  std::vector<std::thread> followers;
  for (int i = 0; i < 4; ++i) followers.emplace_back([&] { EXPECT_EQ(syncs.sync("/m/new"), EIO); });
  std::this_thread::sleep_for(50ms);
  gate.release_all();
  leader.join();
  for (auto& t : followers) t.join();
  gate.fail_with(0);
  EXPECT_EQ(syncs.sync("/m/new"), 0);  // a later sync starts afresh
}

TEST(FsyncBatch, DifferentDirectoriesDoNotWaitForEachOther) {
  GatedSync gate;
  FsyncBatch syncs([&](const std::filesystem::path& dir) { return dir == "/a/new" ? gate(dir) : 0; });
  std::thread slow([&] { EXPECT_EQ(syncs.sync("/a/new"), 0); });
  ASSERT_TRUE(gate.wait_started(1));
  EXPECT_EQ(syncs.sync("/b/new"), 0);  // returns although /a/new's sync is still blocked
  gate.release_all();
  slow.join();
}

TEST(FsyncBatch, RealDirectory) {
  test::TempDir tmp;
  FsyncBatch syncs;
  EXPECT_EQ(syncs.sync(tmp.path()), 0);
  EXPECT_EQ(syncs.sync(tmp / "missing"), ENOENT);
}

// A caller that has the directory open lets the leader fsync that descriptor: no second open, so a name
// that no longer leads to the directory does not matter (the path only groups the callers).
TEST(FsyncBatch, ADescriptorOfTheDirectoryIsSyncedInsteadOfItsPath) {
  test::TempDir tmp;
  const UniqueFd dir(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir);
  FsyncBatch syncs;
  EXPECT_EQ(syncs.sync(tmp / "missing", dir.get()), 0);
  EXPECT_EQ(syncs.sync(tmp / "missing", -1), ENOENT);
  // A sync function of the caller's own is still given the path.
  std::vector<std::filesystem::path> synced;
  FsyncBatch counted([&](const std::filesystem::path& d) {
    synced.push_back(d);
    return 0;
  });
  EXPECT_EQ(counted.sync(tmp / "new", dir.get()), 0);
  EXPECT_EQ(synced, std::vector<std::filesystem::path>{tmp / "new"});
}
