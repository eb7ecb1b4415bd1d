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

// A ready Maildir is delivered into without a stat of tmp/, new/ or cur/; each is checked as it is
// opened. A symlink in place of one that a delivery uses (tmp/, and new/ or cur/ for a copy with flags)
// is still refused, by both kinds of tmp/ file, and nothing lands where it points. (One it does not use
// is not looked at by an unnamed tmp/ file's delivery; the named kind lstats all three, as before.)
TEST_F(MaildirStoreTest, ASymlinkInPlaceOfASubdirectoryIsRefused) {
  std::filesystem::create_directories(tmp_ / "elsewhere" / "tmp");
  std::filesystem::create_directories(tmp_ / "elsewhere" / "new");
  std::filesystem::create_directories(tmp_ / "elsewhere" / "cur");
  ASSERT_TRUE(is_reply(deliver(test_message("m0"), maildir_recipient()), kDelivered));
  const auto spool = spool_of(test_message("m1"));
  const Message message{spool, "", "sender@example.org"};
  for (const std::string sub : {"tmp", "new", "cur"}) {
    SCOPED_TRACE(sub);
    const auto moved = maildir() / (sub + ".real");
    std::filesystem::rename(maildir() / sub, moved);
    ASSERT_EQ(symlink((tmp_ / "elsewhere" / sub).c_str(), (maildir() / sub).c_str()), 0);
    for (const auto kind : {MaildirStore::TmpFiles::Unnamed, MaildirStore::TmpFiles::Named}) {
      const bool named = kind == MaildirStore::TmpFiles::Named;
      FsyncBatch syncs;
      MaildirStore store(settings_.delivery, settings_.maildir, syncs, kind);
      const auto outcome = store.deliver(maildir(), "", message, 0);
      if (sub != "cur" || named) {
        EXPECT_FALSE(outcome.delivered()) << named << " " << outcome.text;
        EXPECT_EQ(outcome.code / 100, 4) << named << " " << outcome.text;
      }
      std::filesystem::path written;
      const auto copy = store.deliver_copy(maildir(), maildir(), ":2,S", message, 0, written);
      if (sub != "new" || named) {
        EXPECT_FALSE(copy.delivered()) << named << " " << copy.text;
        EXPECT_EQ(copy.code / 100, 4) << named << " " << copy.text;
      }
    }
    EXPECT_TRUE(files_in(tmp_ / "elsewhere" / sub).empty());
    EXPECT_TRUE(std::filesystem::is_symlink(maildir() / sub));
    std::filesystem::remove(maildir() / sub);
    std::filesystem::rename(moved, maildir() / sub);
  }
  // A file where new/ belongs is refused just the same.
  std::filesystem::rename(maildir() / "new", maildir() / "new.real");
  write_file(maildir() / "new", "");
  EXPECT_EQ(deliver(test_message("m2"), maildir_recipient()).code / 100, 4);
  std::filesystem::remove(maildir() / "new");
  std::filesystem::rename(maildir() / "new.real", maildir() / "new");
  EXPECT_EQ(files_in(maildir() / "new").size(), 2U);  // m0 and the one delivery made while cur/ was a symlink
}

// tmp/, new/ and cur/ are made when a delivery finds one missing, not only on a Maildir's first
// delivery; with a quota too (its recount writes through tmp/).
TEST_F(MaildirStoreTest, AMissingSubdirectoryIsMadeAgain) {
  auto recipient = maildir_recipient();
  ASSERT_TRUE(is_reply(deliver(test_message("m0"), recipient), kDelivered));
  std::filesystem::remove_all(maildir() / "new");
  ASSERT_TRUE(is_reply(deliver(test_message("m1"), recipient), kDelivered));
  EXPECT_EQ(files_in(maildir() / "new").size(), 1U);
  std::filesystem::remove_all(maildir() / "tmp");
  ASSERT_TRUE(is_reply(deliver(test_message("m2"), recipient), kDelivered));
  EXPECT_TRUE(std::filesystem::is_directory(maildir() / "tmp"));
  std::filesystem::remove_all(maildir() / "tmp");
  std::filesystem::remove(maildir() / "maildirsize");
  recipient.quota = 1'000'000;
  ASSERT_TRUE(is_reply(deliver(test_message("m3"), recipient), kDelivered));
  EXPECT_EQ(files_in(maildir() / "new").size(), 3U);
  std::filesystem::remove_all(maildir() / "cur");
  FsyncBatch syncs;
  MaildirStore store(settings_.delivery, settings_.maildir, syncs);
  const auto spool = spool_of(test_message("m4"));
  std::filesystem::path written;
  const auto copy = store.deliver_copy(maildir(), maildir(), ":2,S", Message{spool, "", "s@example.org"}, 0, written);
  ASSERT_TRUE(copy.delivered()) << copy.text;
  EXPECT_EQ(written.parent_path(), maildir() / "cur");
  EXPECT_EQ(files_in(maildir() / "cur").size(), 1U);
  EXPECT_EQ(read_mailbox("maildir", maildir()).find("\tBAD\t"), std::string::npos);
}

// The quota's recount writes maildirsize through tmp/ and reads new/ and cur/: with a symlink in place
// of tmp/ it writes nothing where the symlink points, and the delivery is refused.
TEST_F(MaildirStoreTest, TheQuotaRecountFollowsNoSymlinkedSubdirectory) {
  auto recipient = maildir_recipient();
  recipient.quota = 1'000'000;
  ASSERT_TRUE(is_reply(deliver(test_message("m0"), recipient), kDelivered));
  std::filesystem::remove(maildir() / "maildirsize");
  std::filesystem::create_directories(tmp_ / "elsewhere");
  std::filesystem::remove_all(maildir() / "tmp");
  ASSERT_EQ(symlink((tmp_ / "elsewhere").c_str(), (maildir() / "tmp").c_str()), 0);
  EXPECT_EQ(deliver(test_message("m1"), recipient).code / 100, 4);
  EXPECT_TRUE(files_in(tmp_ / "elsewhere").empty());
  EXPECT_EQ(files_in(maildir() / "new").size(), 1U);
}
