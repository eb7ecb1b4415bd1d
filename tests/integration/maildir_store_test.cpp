// MaildirStore through the Deliverer: layout, names, folders, the administrator's flock, quota, ENOSPC.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "letterbox/store/fsync_batch.hpp"
#include "letterbox/store/mail_path.hpp"
#include "letterbox/store/maildir_store.hpp"
#include "letterbox/store/message.hpp"
#include "store_fixture.hpp"

using namespace letterbox;
using namespace letterbox::test;
using namespace std::chrono_literals;

namespace {

class MaildirStoreTest : public StoreTest {
 protected:
  std::filesystem::path maildir() const { return mail_root() / "example.org" / "alice" / "Maildir"; }
  static std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    if (!std::filesystem::exists(dir)) return out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path());
    return out;
  }
};

}  // namespace

TEST_F(MaildirStoreTest, CreatesTheMaildirAndDeliversIntoNew) {
  ASSERT_TRUE(is_reply(deliver(test_message("m1"), maildir_recipient()), kDelivered));
  for (const char* sub : {"tmp", "new", "cur"}) {
    struct stat st {};
    ASSERT_EQ(stat((maildir() / sub).c_str(), &st), 0) << sub;
    EXPECT_EQ(st.st_mode & 07777, 0700U) << sub;
  }
  EXPECT_TRUE(files_in(maildir() / "tmp").empty());
  const auto fresh = files_in(maildir() / "new");
  ASSERT_EQ(fresh.size(), 1U);
  const auto content = read_file(fresh[0]);
  EXPECT_EQ(content, "Return-Path: <sender@example.org>\nDelivered-To: alice@example.org\n" + test_message("m1"));
  const std::regex shape(R"(^\d+\.M\d+P\d+Q\d+\.[^/:]+,S=(\d+)$)");
  std::smatch m;
  const auto name = fresh[0].filename().string();
  ASSERT_TRUE(std::regex_match(name, m, shape)) << name;
  EXPECT_EQ(std::stoul(m[1]), content.size());
  const auto report = read_mailbox("maildir", maildir());
  EXPECT_EQ(report, "m1\tOK\t<sender@example.org>\talice@example.org\ncount 1\n");
}

TEST_F(MaildirStoreTest, SubaddressGoesToAnExistingFolderOnly) {
  ASSERT_TRUE(is_reply(deliver(test_message("m0"), maildir_recipient()), kDelivered));
  std::filesystem::create_directories(maildir() / ".Lists");
  ASSERT_TRUE(
      is_reply(deliver(test_message("m1"), maildir_recipient("example.org/alice/Maildir", "Lists")), kDelivered));
  ASSERT_TRUE(
      is_reply(deliver(test_message("m2"), maildir_recipient("example.org/alice/Maildir", "Nope")), kDelivered));
  ASSERT_TRUE(
      is_reply(deliver(test_message("m3"), maildir_recipient("example.org/alice/Maildir", "../..")), kDelivered));
  EXPECT_EQ(files_in(maildir() / ".Lists" / "new").size(), 1U);
  EXPECT_EQ(files_in(maildir() / "new").size(), 3U);
  settings_.delivery.subaddress_folders = false;
  ASSERT_TRUE(
      is_reply(deliver(test_message("m4"), maildir_recipient("example.org/alice/Maildir", "Lists")), kDelivered));
  EXPECT_EQ(files_in(maildir() / "new").size(), 4U);
}

TEST_F(MaildirStoreTest, ExclusiveFlockOnTheLockFileMeansLocked) {
  ASSERT_TRUE(is_reply(deliver(test_message("m0"), maildir_recipient()), kDelivered));
  const auto lock = maildir() / "letterbox.lock";
  Background holder(
      {"flock", "-x", lock.string(), "sh", "-c", "touch " + (tmp_ / "ready").string() + "; exec sleep 600"});
  ASSERT_TRUE(wait_for_file(tmp_ / "ready"));
  Outcome outcome;
  const auto took = timed([&] { outcome = deliver(test_message("m1"), maildir_recipient()); });
  EXPECT_TRUE(is_reply(outcome, "450 4.2.0 <alice@example.org> Mailbox locked, try again later"));
  EXPECT_GE(took, settings_.delivery.lock_timeout - 50ms);
  EXPECT_LT(took, settings_.delivery.lock_timeout + 1s);
  EXPECT_EQ(files_in(maildir() / "new").size(), 1U);
  EXPECT_TRUE(files_in(maildir() / "tmp").empty());
  holder.stop();
  EXPECT_TRUE(is_reply(deliver(test_message("m1"), maildir_recipient()), kDelivered));
  EXPECT_EQ(files_in(maildir() / "new").size(), 2U);
}

// The administrator's `flock -x letterbox.lock ...` as root, before any delivery, creates the lock file
// 0644 root. Deliveries (as the delivery user) still take their shared lock and still honour his.
TEST_F(MaildirStoreTest, ALockFileRootCreatedStillWorks) {
  if (!started_as_root()) GTEST_SKIP() << "needs root";
  ASSERT_TRUE(is_reply(deliver(test_message("m0"), maildir_recipient()), kDelivered));
  const auto lock = maildir() / "letterbox.lock";
  std::filesystem::remove(lock);
  ASSERT_EQ(run_as_root({"flock", "-x", lock.string(), "true"}).exit_code, 0);
  struct stat st {};
  ASSERT_EQ(stat(lock.c_str(), &st), 0);
  ASSERT_EQ(st.st_uid, 0U);
  EXPECT_TRUE(is_reply(deliver(test_message("m1"), maildir_recipient()), kDelivered));
  Background holder(
      {"flock", "-x", lock.string(), "sh", "-c", "touch " + (tmp_ / "ready").string() + "; exec sleep 600"});
  ASSERT_TRUE(wait_for_file(tmp_ / "ready"));
  EXPECT_TRUE(is_reply(deliver(test_message("m2"), maildir_recipient()),
                       "450 4.2.0 <alice@example.org> Mailbox locked, try again later"));
  holder.stop();
  EXPECT_EQ(files_in(maildir() / "new").size(), 2U);
}

TEST_F(MaildirStoreTest, QuotaThroughMaildirsize) {
  auto recipient = maildir_recipient();
  const auto one = test_message("m0").size() + 64;  // with the added headers
  recipient.quota = one * 2 + 10;
  ASSERT_TRUE(is_reply(deliver(test_message("m0"), recipient), kDelivered));
  ASSERT_TRUE(is_reply(deliver(test_message("m1"), recipient), kDelivered));
  EXPECT_TRUE(is_reply(deliver(test_message("m2"), recipient), "450 4.2.2 <alice@example.org> Mailbox full"));
  settings_.delivery.quota_full_reply = QuotaFullReply::Retry452;
  EXPECT_TRUE(is_reply(deliver(test_message("m2"), recipient), "452 4.2.2 <alice@example.org> Mailbox full"));
  EXPECT_EQ(files_in(maildir() / "new").size(), 2U);
  const auto sizes = read_file(maildir() / "maildirsize");
  EXPECT_TRUE(sizes.starts_with(std::to_string(recipient.quota) + "S\n0 0\n")) << sizes;
  EXPECT_EQ(std::count(sizes.begin(), sizes.end(), '\n'), 4);
  // Expunging a message (a client deleting it) and letting the file go stale frees the space.
  recipient.quota += 1;  // a changed limit also forces a recount
  std::filesystem::remove(files_in(maildir() / "new")[0]);
  EXPECT_TRUE(is_reply(deliver(test_message("m2"), recipient), kDelivered));
}

TEST_F(MaildirStoreTest, DiskFullLeavesNothingBehind) {
  if (!mount_tiny_filesystem("256k")) GTEST_SKIP() << "needs root to mount a tmpfs";
  ASSERT_TRUE(is_reply(deliver(test_message("m0"), maildir_recipient()), kDelivered));
  std::string big = test_message("big");
  big.insert(big.find("\n\n") + 2, std::string(512 * 1024, 'x') + "\n");
  EXPECT_TRUE(is_reply(deliver(big, maildir_recipient()), "452 4.3.1 <alice@example.org> Insufficient system storage"));
  EXPECT_EQ(files_in(maildir() / "new").size(), 1U);
  EXPECT_TRUE(files_in(maildir() / "tmp").empty());
}

TEST_F(MaildirStoreTest, SymlinkedMaildirIsRefused) {
  std::filesystem::create_directories(mail_root() / "example.org" / "alice");
  std::filesystem::create_directories(tmp_ / "elsewhere");
  ASSERT_EQ(symlink((tmp_ / "elsewhere").c_str(), maildir().c_str()), 0);
  EXPECT_TRUE(
      is_reply(deliver(test_message("m1"), maildir_recipient()), "451 4.3.0 <alice@example.org> Local delivery error"));
  EXPECT_TRUE(files_in(tmp_ / "elsewhere").empty());
}

TEST_F(MaildirStoreTest, ConcurrentDeliveriesAllLand) {
  Spool spool(tmp_.path());
  MailboxQueue locks(10);
  Deliverer deliverer(settings_, locks);
  std::vector<std::thread> threads;
  std::atomic<int> delivered{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        Spool one(tmp_.path());
        one.append(test_message("t" + std::to_string(t) + "-" + std::to_string(i)));
        if (deliverer.deliver(one, Envelope{"s@example.org", "", ""}, maildir_recipient()).delivered()) ++delivered;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(delivered.load(), 200);
  const auto report = read_mailbox("maildir", maildir());
  EXPECT_NE(report.find("count 200\n"), std::string::npos);
  EXPECT_EQ(report.find("\tBAD\t"), std::string::npos);
}

// The qmail way, used where O_TMPFILE or /proc is missing: a named tmp/ file, linked, then removed.
TEST_F(MaildirStoreTest, NamedTmpFilesWhereUnnamedOnesAreUnavailable) {
  FsyncBatch syncs;
  MaildirStore store(settings_.delivery, settings_.maildir, syncs, MaildirStore::TmpFiles::Named);
  const auto spool = spool_of(test_message("m1"));
  const std::string headers = "Delivered-To: alice@example.org\n";
  ASSERT_EQ(make_directories(mail_root(), maildir()), 0);
  const auto outcome = store.deliver(maildir(), "", Message{spool, headers, "sender@example.org"}, 0);
  ASSERT_TRUE(outcome.delivered()) << outcome.text;
  EXPECT_TRUE(files_in(maildir() / "tmp").empty());
  const auto fresh = files_in(maildir() / "new");
  ASSERT_EQ(fresh.size(), 1U);
  EXPECT_EQ(read_file(fresh[0]), headers + test_message("m1"));
  EXPECT_EQ(read_mailbox("maildir", maildir()), "m1\tOK\t\talice@example.org\ncount 1\n");
}

TEST_F(MaildirStoreTest, NamedTmpFileIsRemovedWhenTheDiskIsFull) {
  if (!mount_tiny_filesystem("256k")) GTEST_SKIP() << "needs root to mount a tmpfs";
  FsyncBatch syncs;
  MaildirStore store(settings_.delivery, settings_.maildir, syncs, MaildirStore::TmpFiles::Named);
  std::string big = test_message("big");
  big.insert(big.find("\n\n") + 2, std::string(512 * 1024, 'x') + "\n");
  const auto spool = spool_of(big);
  ASSERT_EQ(make_directories(mail_root(), maildir()), 0);
  const auto outcome = store.deliver(maildir(), "", Message{spool, "", "sender@example.org"}, 0);
  EXPECT_EQ(outcome.code, 452);
  EXPECT_TRUE(files_in(maildir() / "tmp").empty());
  EXPECT_TRUE(files_in(maildir() / "new").empty());
}
