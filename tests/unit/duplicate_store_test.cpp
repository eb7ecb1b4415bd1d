// The per-user duplicate store on real files: seen/record/expiry, what another process committed, a
// damaged file treated as empty and rebuilt, compaction, and kill -9 in the middle of commits.
#include "letterbox/store/duplicate_store.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "test_support.hpp"

using namespace letterbox;
using letterbox::test::read_file;
using letterbox::test::TempDir;
using letterbox::test::write_file;

namespace {

constexpr std::time_t kNow = 1'800'000'000;
constexpr std::time_t kDay = 86400;

class DuplicateStoreTest : public ::testing::Test {
 protected:
  DuplicateStoreTest() { std::filesystem::create_directories(root()); }

  std::filesystem::path root() const { return tmp_ / "mail"; }
  std::filesystem::path file() const { return root() / "example.org/alice/sieve" / DuplicateStore::kFileName; }

  DuplicateStore store(std::size_t max_records = DuplicateStore::kDefaultMaxRecords) {
    std::string why;
    auto s = DuplicateStore::open(root(), "example.org/alice/sieve", why, max_records);
    if (!s) throw std::runtime_error(why);
    return std::move(*s);
  }

  // A store as a new delivery sees it.
  DuplicateStore loaded(DuplicateLoad* load = nullptr) {
    auto s = store();
    const auto l = s.load();
    if (load) *load = l;
    return s;
  }

  TempDir tmp_;
};

const std::string kBob = duplicate_key({"bob@example.net", "handle-1"});

}  // namespace

TEST_F(DuplicateStoreTest, NothingIsSeenWithoutAFile) {
  DuplicateLoad load;
  auto s = loaded(&load);
  EXPECT_EQ(load.state, DuplicateFileState::Ok);
  EXPECT_EQ(load.records, 0U);
  EXPECT_FALSE(s.seen(DuplicateKind::Vacation, kBob, kNow, 7 * kDay));
  EXPECT_FALSE(std::filesystem::exists(file()));
}

TEST_F(DuplicateStoreTest, CommittedRecordsAreSeenWithinTheirPeriodOnly) {
  auto s = loaded();
  s.record(DuplicateKind::Vacation, kBob, kNow, 7 * kDay);
  EXPECT_TRUE(s.seen(DuplicateKind::Vacation, kBob, kNow, 7 * kDay)) << "the batch counts for this delivery";
  const auto c = s.commit(kNow);
  ASSERT_TRUE(c.ok()) << c.detail;
  EXPECT_EQ(s.pending(), 0U);

  auto again = loaded();
  EXPECT_TRUE(again.seen(DuplicateKind::Vacation, kBob, kNow + 7 * kDay, 7 * kDay));
  EXPECT_FALSE(again.seen(DuplicateKind::Vacation, kBob, kNow + 7 * kDay + 1, 7 * kDay));
  EXPECT_TRUE(again.seen(DuplicateKind::Vacation, kBob, kNow - 10, 7 * kDay)) << "the clock went back";
  EXPECT_FALSE(again.seen(DuplicateKind::Redirect, kBob, kNow, 7 * kDay)) << "another kind";
  EXPECT_FALSE(again.seen(DuplicateKind::Vacation, duplicate_key({"bob@example.net", "handle-2"}), kNow, kDay));
  EXPECT_NE(duplicate_key({"ab", "c"}), duplicate_key({"a", "bc"}));
}

TEST_F(DuplicateStoreTest, ADiscardedBatchRecordsNothing) {
  auto s = loaded();
  s.record(DuplicateKind::Duplicate, "id", kNow, kDay);
  s.discard();
  ASSERT_TRUE(s.commit(kNow).ok());
  EXPECT_FALSE(loaded().seen(DuplicateKind::Duplicate, "id", kNow, kDay));
}

TEST_F(DuplicateStoreTest, NoAddressIsStoredInClear) {
  auto s = loaded();
  s.record(DuplicateKind::Vacation, kBob, kNow, kDay);
  ASSERT_TRUE(s.commit(kNow).ok());
  const auto bytes = read_file(file());
  EXPECT_EQ(bytes.find("bob"), std::string::npos);
  EXPECT_EQ(bytes.size(), 96U);
  EXPECT_EQ(std::filesystem::status(file()).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(DuplicateStoreTest, AnotherProcessSeesCommittedRecords) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = loaded();
    s.record(DuplicateKind::Redirect, "message-1 to carol", kNow, kDay);
    ::_exit(s.commit(kNow).ok() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(loaded().seen(DuplicateKind::Redirect, "message-1 to carol", kNow, kDay));
}

TEST_F(DuplicateStoreTest, ConcurrentCommitsFromProcessesAllLand) {
  constexpr int kChildren = 4;
  constexpr int kEach = 25;
  std::vector<pid_t> children;
  for (int c = 0; c < kChildren; ++c) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int i = 0; i < kEach; ++i) {
        auto s = loaded();
        s.record(DuplicateKind::Duplicate, std::to_string(c) + "/" + std::to_string(i), kNow, kDay);
        if (!s.commit(kNow).ok()) ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(child);
  }
  for (const pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  DuplicateLoad load;
  auto s = loaded(&load);
  EXPECT_EQ(load.records, std::size_t{kChildren * kEach});
  for (int c = 0; c < kChildren; ++c) {
    for (int i = 0; i < kEach; ++i) {
      EXPECT_TRUE(s.seen(DuplicateKind::Duplicate, std::to_string(c) + "/" + std::to_string(i), kNow, kDay));
    }
  }
}

TEST_F(DuplicateStoreTest, UnderHoldCheckActAndCommitAreOneStepAcrossProcesses) {
  // As four deliveries of one sender's mail to a user on vacation at once: each checks, "sends" (leaves a
  // file, slowly, as sendmail takes its time) and records. Only the first may send.
  constexpr int kChildren = 4;
  const auto sent = tmp_ / "sent";
  std::filesystem::create_directories(sent);
  std::vector<pid_t> children;
  for (int c = 0; c < kChildren; ++c) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto s = store();
      if (s.hold().state != DuplicateFileState::Ok) ::_exit(1);
      if (!s.seen(DuplicateKind::Vacation, kBob, kNow, kDay)) {
        write_file(sent / std::to_string(c), "");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        s.record(DuplicateKind::Vacation, kBob, kNow, kDay);
        if (!s.commit(kNow).ok()) ::_exit(2);
      }
      s.release();
      ::_exit(0);
    }
    children.push_back(child);
  }
  for (const pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(sent), std::filesystem::directory_iterator()), 1);
  EXPECT_TRUE(loaded().seen(DuplicateKind::Vacation, kBob, kNow, kDay));
}

TEST_F(DuplicateStoreTest, AHeldStoreCommitsUnderItsOwnLockAndReleasesIt) {
  auto held = store();
  ASSERT_EQ(held.hold().state, DuplicateFileState::Ok);
  held.record(DuplicateKind::Redirect, "message-1 to carol", kNow, kDay);
  ASSERT_TRUE(held.commit(kNow).ok());  // would wait forever for a second flock of its own
  held.release();
  auto other = loaded();
  other.record(DuplicateKind::Redirect, "message-2 to carol", kNow, kDay);
  EXPECT_TRUE(other.commit(kNow).ok());
  EXPECT_TRUE(loaded().seen(DuplicateKind::Redirect, "message-1 to carol", kNow, kDay));
}

TEST_F(DuplicateStoreTest, AGarbageOrTruncatedFileIsEmptyAndRebuilt) {
  for (const std::string& garbage : {std::string(), std::string("LBX"), std::string(200, 'x')}) {
    std::filesystem::create_directories(file().parent_path());
    write_file(file(), garbage);
    DuplicateLoad load;
    auto s = loaded(&load);
    EXPECT_EQ(load.state, DuplicateFileState::Damaged);
    EXPECT_FALSE(load.detail.empty());
    s.record(DuplicateKind::Vacation, kBob, kNow, kDay);
    const auto c = s.commit(kNow);
    ASSERT_TRUE(c.ok()) << c.detail;
    EXPECT_TRUE(c.rewritten);
    DuplicateLoad after;
    EXPECT_TRUE(loaded(&after).seen(DuplicateKind::Vacation, kBob, kNow, kDay));
    EXPECT_EQ(after.state, DuplicateFileState::Ok);
    EXPECT_EQ(after.records, 1U);
  }
}

TEST_F(DuplicateStoreTest, ATornOrDamagedRecordIsSkippedAndTheRestKept) {
  auto s = loaded();
  s.record(DuplicateKind::Duplicate, "a", kNow, kDay);
  s.record(DuplicateKind::Duplicate, "b", kNow, kDay);
  s.record(DuplicateKind::Duplicate, "c", kNow, kDay);
  ASSERT_TRUE(s.commit(kNow).ok());
  auto bytes = read_file(file());
  bytes[48 + 48 + 30] ^= 0x55;    // "b" damaged
  bytes += std::string(20, 'z');  // and a torn append after "c"
  write_file(file(), bytes);

  DuplicateLoad load;
  auto again = loaded(&load);
  EXPECT_EQ(load.state, DuplicateFileState::Ok);
  EXPECT_EQ(load.records, 2U);
  EXPECT_EQ(load.bad_records, 1U);
  EXPECT_TRUE(again.seen(DuplicateKind::Duplicate, "a", kNow, kDay));
  EXPECT_FALSE(again.seen(DuplicateKind::Duplicate, "b", kNow, kDay));
  EXPECT_TRUE(again.seen(DuplicateKind::Duplicate, "c", kNow, kDay));

  // The next append cuts the torn tail off, so that records stay aligned.
  again.record(DuplicateKind::Duplicate, "d", kNow, kDay);
  ASSERT_TRUE(again.commit(kNow).ok());
  EXPECT_EQ(read_file(file()).size(), 48U * 5);
  EXPECT_TRUE(loaded().seen(DuplicateKind::Duplicate, "d", kNow, kDay));
}

TEST_F(DuplicateStoreTest, CompactionDropsExpiredThenOldestRecords) {
  auto s = store(8);
  (void)s.load();
  for (int i = 0; i < 6; ++i) s.record(DuplicateKind::Duplicate, "old" + std::to_string(i), kNow, 10);
  ASSERT_TRUE(s.commit(kNow).ok());
  s.record(DuplicateKind::Duplicate, "new", kNow + 100, kDay);
  s.record(DuplicateKind::Duplicate, "new2", kNow + 100, kDay);
  s.record(DuplicateKind::Duplicate, "new3", kNow + 100, kDay);
  const auto c = s.commit(kNow + 100);
  ASSERT_TRUE(c.ok()) << c.detail;
  EXPECT_TRUE(c.rewritten);
  EXPECT_EQ(read_file(file()).size(), 48U * 4) << "the expired ones are gone";
  auto again = store(8);
  (void)again.load();
  EXPECT_TRUE(again.seen(DuplicateKind::Duplicate, "new", kNow + 100, kDay));
  EXPECT_FALSE(again.seen(DuplicateKind::Duplicate, "old0", kNow + 100, kDay));

  // Too many that are not over: the newest stay.
  for (int i = 0; i < 10; ++i) again.record(DuplicateKind::Duplicate, "k" + std::to_string(i), kNow + 200 + i, kDay);
  ASSERT_TRUE(again.commit(kNow + 210).ok());
  EXPECT_LE(read_file(file()).size(), 48U * 9);
  auto last = store(8);
  (void)last.load();
  EXPECT_TRUE(last.seen(DuplicateKind::Duplicate, "k9", kNow + 210, kDay));
  EXPECT_FALSE(last.seen(DuplicateKind::Duplicate, "k0", kNow + 210, kDay));
}

TEST_F(DuplicateStoreTest, ASymlinkOrDirectoryInItsPlaceIsNeitherFollowedNorReplaced) {
  std::filesystem::create_directories(file().parent_path());
  write_file(tmp_ / "elsewhere", "precious");
  std::filesystem::create_symlink(tmp_ / "elsewhere", file());
  DuplicateLoad load;
  auto s = loaded(&load);
  EXPECT_EQ(load.state, DuplicateFileState::Failed);
  s.record(DuplicateKind::Vacation, kBob, kNow, kDay);
  EXPECT_FALSE(s.commit(kNow).ok());
  EXPECT_EQ(read_file(tmp_ / "elsewhere"), "precious");

  std::filesystem::remove(file());
  std::filesystem::create_directory(file());
  EXPECT_EQ(loaded(&load).seen(DuplicateKind::Vacation, kBob, kNow, kDay), false);
  EXPECT_EQ(load.state, DuplicateFileState::Failed);
  s.record(DuplicateKind::Vacation, kBob, kNow, kDay);
  const auto c = s.commit(kNow);
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.detail.find(DuplicateStore::kFileName), std::string::npos) << c.detail;
  EXPECT_TRUE(std::filesystem::is_directory(file()));
}

// Children commit one record they track (and fillers that expire at once, so that compactions
// happen too) and report each commit on a pipe; each is killed at a random point. Every record
// reported before the kill must be in the file, and the file must open clean.
TEST_F(DuplicateStoreTest, KillNineDuringCommitsLosesNothingCommitted) {
  std::mt19937 random(12345);
  std::set<std::string> committed;
  for (int round = 0; round < 30; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      for (int i = 0;; ++i) {
        auto s = store(96);
        (void)s.load();
        const std::string key = std::to_string(round) + "/" + std::to_string(i);
        // At most 2 tracked per round: the 60 of 30 rounds stay under what a compaction keeps (72), and
        // a small file is rewritten often, so that kills land in rewrites too.
        if (i < 2) s.record(DuplicateKind::Duplicate, key, kNow, kDay);
        for (int f = 0; f < 3; ++f) s.record(DuplicateKind::Redirect, key + "f" + std::to_string(f), kNow, 0);
        if (!s.commit(kNow + 1).ok()) ::_exit(1);
        if (i < 2 && ::write(pipe_fds[1], (key + "\n").data(), key.size() + 1) < 0) ::_exit(1);
      }
    }
    ::close(pipe_fds[1]);
    // The kill lands at a random point after the round's first commit: without that wait, a slow machine
    // (a sanitizer build under load, an fsync of tens of ms) could see every round killed before its
    // first commit, and the test would prove nothing.
    std::string reported;
    char buffer[4096];
    while (reported.find('\n') == std::string::npos) {
      const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
      if (n <= 0) break;  // the child failed: its exit status says so below
      reported.append(buffer, static_cast<std::size_t>(n));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20000)(random)));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself: a commit failed";
    for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) reported.append(buffer, n);
    ::close(pipe_fds[0]);
    for (std::size_t at = 0, end; (end = reported.find('\n', at)) != std::string::npos; at = end + 1) {
      committed.insert(reported.substr(at, end - at));
    }
    auto s = store(96);
    const auto load = s.load();
    ASSERT_EQ(load.state, DuplicateFileState::Ok) << "round " << round << ": " << load.detail;
    for (const auto& key : committed) {
      EXPECT_TRUE(s.seen(DuplicateKind::Duplicate, key, kNow, kDay)) << "round " << round << ": lost " << key;
    }
  }
  EXPECT_GT(committed.size(), 0U);

  // A rewrite (a store this small compacts at once) clears what rewrites killed before their rename left.
  auto small = store(2);
  (void)small.load();
  for (int i = 0; i < 3; ++i) small.record(DuplicateKind::Duplicate, "last" + std::to_string(i), kNow, kDay);
  ASSERT_TRUE(small.commit(kNow).ok());
  for (const auto& entry : std::filesystem::directory_iterator(file().parent_path())) {
    EXPECT_EQ(entry.path().filename(), DuplicateStore::kFileName);
  }
}
