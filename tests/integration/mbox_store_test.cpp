// MboxStore through the Deliverer, against real lock holders in other processes.
#include <sys/resource.h>
#include <utime.h>

#include "letterbox/store/mbox_format.hpp"
#include "store_fixture.hpp"

using namespace letterbox;
using namespace letterbox::test;
using namespace std::chrono_literals;

namespace {

const char* const kLocked = "450 4.2.0 <alice@example.org> Mailbox locked, try again later";

class MboxStoreTest : public StoreTest {
 protected:
  std::filesystem::path mbox() const { return mail_root() / "example.org" / "alice.mbox"; }
  std::string mbox_bytes() const { return read_file(mbox()); }
  // One message already in the mailbox, so "unchanged" means something.
  static std::string quote_from(const std::string& text) { return quote_from_lines(text, FromQuoting::Mboxrd); }
  void seed() { ASSERT_TRUE(is_reply(deliver(test_message("seed"), mbox_recipient()), kDelivered)); }
};

}  // namespace

TEST_F(MboxStoreTest, AppendsFromLineHeadersQuotedBodyAndBlankLine) {
  ASSERT_TRUE(is_reply(deliver(test_message("m1"), mbox_recipient()), kDelivered));
  ASSERT_TRUE(is_reply(deliver("Subject: no newline at end\n\nFrom x", mbox_recipient(), ""), kDelivered));
  const auto bytes = mbox_bytes();
  const std::regex first(R"(^From sender@example\.org \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n)");
  ASSERT_TRUE(std::regex_search(bytes, first)) << bytes;
  const auto body_start = bytes.find('\n') + 1;
  const std::string expected_first =
      "Return-Path: <sender@example.org>\nDelivered-To: alice@example.org\n" + quote_from(test_message("m1")) + "\n";
  EXPECT_EQ(bytes.substr(body_start, expected_first.size()), expected_first);
  const auto second = bytes.substr(body_start + expected_first.size());
  EXPECT_TRUE(second.starts_with("From MAILER-DAEMON ")) << second;
  EXPECT_TRUE(
      second.ends_with("Return-Path: <>\nDelivered-To: alice@example.org\nSubject: no newline at end\n\n>From x\n\n"))
      << second;
  // An independent reader sees the message intact.
  const auto report = read_mailbox("mbox", mbox());
  EXPECT_NE(report.find("m1\tOK\t<sender@example.org>\talice@example.org\n"), std::string::npos) << report;
  EXPECT_NE(report.find("count 2\n"), std::string::npos) << report;
}

TEST_F(MboxStoreTest, ASendersStatusFieldsNeverReachTheMailbox) {
  // "Status: RO" from outside would show the message as read in mutt and Dovecot before anyone saw it.
  ASSERT_TRUE(is_reply(deliver("Subject: forged\nStatus: RO\nX-Status: A\nX-Keywords: $Junk\nContent-Length: 2\n"
                               "X-UID: 99\n\nStatus: RO stays in the body\n",
                               mbox_recipient()),
                       kDelivered));
  const auto r = run({"python3", "-c",
                      "import mailbox, sys\nm = mailbox.mbox(sys.argv[1])[0]\n"
                      "print(m.get_flags() or '-', [k for k in m.keys()], m.get_payload(), sep='|')",
                      mbox().string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "-|['Return-Path', 'Delivered-To', 'Subject']|Status: RO stays in the body\n\n") << mbox_bytes();
}

TEST_F(MboxStoreTest, ATornTailFromACrashDoesNotSwallowTheNextMessage) {
  seed();
  // What a writer killed mid-append leaves: a message cut off in the middle of a line.
  const auto torn = mbox_bytes() + "From crashed@example.org Thu Jan  1 00:00:00 2026\nSubject: cut";
  write_file(mbox(), torn);
  ASSERT_TRUE(is_reply(deliver(test_message("after"), mbox_recipient()), kDelivered));
  const auto bytes = mbox_bytes();
  EXPECT_EQ(bytes.substr(0, torn.size() + 3), torn + "\n\nF");
  const auto report = read_mailbox("mbox", mbox());
  EXPECT_NE(report.find("after\tOK\t"), std::string::npos) << report;
  EXPECT_NE(report.find("seed\tOK\t"), std::string::npos) << report;
}

TEST_F(MboxStoreTest, DotlockfileHolderMeansLockedAndTheMailboxIsUntouched) {
  seed();
  const auto before = mbox_bytes();
  ASSERT_EQ(run({"dotlockfile", "-l", "-r", "0", mbox().string() + ".lock"}).exit_code, 0);
  Outcome outcome;
  const auto took = timed([&] { outcome = deliver(test_message("m2"), mbox_recipient()); });
  EXPECT_TRUE(is_reply(outcome, kLocked));
  EXPECT_GE(took, settings_.delivery.lock_timeout - 50ms);
  EXPECT_LT(took, settings_.delivery.lock_timeout + 1s);
  EXPECT_EQ(mbox_bytes(), before);
  EXPECT_TRUE(std::filesystem::exists(mbox().string() + ".lock"));  // someone else's lock stays
  ASSERT_EQ(run({"dotlockfile", "-u", mbox().string() + ".lock"}).exit_code, 0);
  EXPECT_TRUE(is_reply(deliver(test_message("m2"), mbox_recipient()), kDelivered));
}

TEST_F(MboxStoreTest, FcntlHolderInAnotherProcessMeansLocked) {
  seed();
  const auto before = mbox_bytes();
  Background holder(
      {"/usr/bin/python3", fixture("fcntl_holder.py").string(), mbox().string(), (tmp_ / "ready").string()});
  ASSERT_TRUE(wait_for_file(tmp_ / "ready"));
  Outcome outcome;
  const auto took = timed([&] { outcome = deliver(test_message("m2"), mbox_recipient()); });
  EXPECT_TRUE(is_reply(outcome, kLocked));
  EXPECT_LT(took, settings_.delivery.lock_timeout + 1s);
  EXPECT_EQ(mbox_bytes(), before);
  EXPECT_FALSE(std::filesystem::exists(mbox().string() + ".lock")) << "our dotlock must be released on failure";
  holder.stop();
  EXPECT_TRUE(is_reply(deliver(test_message("m2"), mbox_recipient()), kDelivered));
}

TEST_F(MboxStoreTest, FlockHolderMeansLockedWhenFlockIsConfigured) {
  settings_.mbox.locks = {LockKind::Dotlock, LockKind::Fcntl, LockKind::Flock};
  seed();
  const auto before = mbox_bytes();
  Background holder(
      {"flock", "-x", mbox().string(), "sh", "-c", "touch " + (tmp_ / "ready").string() + "; exec sleep 600"});
  ASSERT_TRUE(wait_for_file(tmp_ / "ready"));
  EXPECT_TRUE(is_reply(deliver(test_message("m2"), mbox_recipient()), kLocked));
  EXPECT_EQ(mbox_bytes(), before);
  holder.stop();
  EXPECT_TRUE(is_reply(deliver(test_message("m2"), mbox_recipient()), kDelivered));
}

TEST_F(MboxStoreTest, StaleDotlockIsBroken) {
  seed();
  settings_.mbox.stale_dotlock_age = 5min;
  const auto lock = mbox().string() + ".lock";
  write_file(lock, "99999\n");
  const utimbuf old{time(nullptr) - 600, time(nullptr) - 600};
  ASSERT_EQ(utime(lock.c_str(), &old), 0);
  EXPECT_TRUE(is_reply(deliver(test_message("m2"), mbox_recipient()), kDelivered));
  EXPECT_FALSE(std::filesystem::exists(lock));
  EXPECT_NE(read_mailbox("mbox", mbox()).find("count 2\n"), std::string::npos);
}

TEST_F(MboxStoreTest, FreshDotlockIsNotBroken) {
  seed();
  const auto lock = mbox().string() + ".lock";
  write_file(lock, "99999\n");
  const utimbuf recent{time(nullptr) - 60, time(nullptr) - 60};
  ASSERT_EQ(utime(lock.c_str(), &recent), 0);
  EXPECT_TRUE(is_reply(deliver(test_message("m2"), mbox_recipient()), kLocked));
  EXPECT_TRUE(std::filesystem::exists(lock));
}

TEST_F(MboxStoreTest, OverQuotaIsMailboxFullAndUntouched) {
  seed();
  const auto before = mbox_bytes();
  auto recipient = mbox_recipient();
  recipient.quota = before.size() + 100;
  EXPECT_TRUE(is_reply(deliver(test_message("m2"), recipient), "450 4.2.2 <alice@example.org> Mailbox full"));
  settings_.delivery.quota_full_reply = QuotaFullReply::Bounce552;
  EXPECT_TRUE(is_reply(deliver(test_message("m2"), recipient), "552 5.2.2 <alice@example.org> Mailbox full"));
  EXPECT_EQ(mbox_bytes(), before);
  recipient.quota = before.size() * 3;
  EXPECT_TRUE(is_reply(deliver(test_message("m2"), recipient), kDelivered));
}

TEST_F(MboxStoreTest, DiskFullMidAppendLeavesTheMailboxByteIdentical) {
  if (!mount_tiny_filesystem("256k")) GTEST_SKIP() << "needs root to mount a tmpfs";
  seed();
  const auto before = mbox_bytes();
  std::string big = test_message("big");
  big.insert(big.find("\n\n") + 2, std::string(512 * 1024, 'x') + "\n");
  EXPECT_TRUE(is_reply(deliver(big, mbox_recipient()), "452 4.3.1 <alice@example.org> Insufficient system storage"));
  EXPECT_EQ(mbox_bytes(), before);
  EXPECT_FALSE(std::filesystem::exists(mbox().string() + ".lock"));
  EXPECT_TRUE(is_reply(deliver(test_message("m3"), mbox_recipient()), kDelivered));
  EXPECT_NE(read_mailbox("mbox", mbox()).find("count 2\n"), std::string::npos);
}

TEST_F(MboxStoreTest, FileSizeLimitMidAppendLeavesTheMailboxByteIdentical) {
  seed();
  const auto before = mbox_bytes();
  std::string big = test_message("big");
  big.insert(big.find("\n\n") + 2, std::string(300 * 1024, 'y') + "\n");
  const Spool spool = spool_of(big);  // spooled before the limit, which would stop the spool file too
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit small = old;
  small.rlim_cur = before.size() + 1000;  // the append starts, then write() fails with EFBIG
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const auto outcome = deliver(spool, mbox_recipient());
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  EXPECT_TRUE(is_reply(outcome, "451 4.3.0 <alice@example.org> Local delivery error"));
  EXPECT_NE(outcome.detail.find("File too large"), std::string::npos) << outcome.detail;
  EXPECT_EQ(mbox_bytes(), before);
}

TEST_F(MboxStoreTest, SymlinkedOrHardLinkedMailboxIsRefused) {
  std::filesystem::create_directories(mail_root() / "example.org");
  write_file(tmp_ / "target", "precious\n");
  ASSERT_EQ(symlink((tmp_ / "target").c_str(), mbox().c_str()), 0);
  EXPECT_TRUE(
      is_reply(deliver(test_message("m1"), mbox_recipient()), "451 4.3.0 <alice@example.org> Local delivery error"));
  std::filesystem::remove(mbox());
  ASSERT_EQ(link((tmp_ / "target").c_str(), mbox().c_str()), 0);
  EXPECT_TRUE(
      is_reply(deliver(test_message("m1"), mbox_recipient()), "451 4.3.0 <alice@example.org> Local delivery error"));
  EXPECT_EQ(read_file(tmp_ / "target"), "precious\n");
}

TEST_F(MboxStoreTest, PathsOutsideMailRootAreRefused) {
  for (const char* path : {"../outside.mbox", "/etc/letterbox-test.mbox", "example.org/../../x"}) {
    const auto outcome = deliver(test_message("m1"), mbox_recipient(path));
    EXPECT_TRUE(is_reply(outcome, "451 4.3.0 <alice@example.org> Local delivery error")) << path;
  }
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "outside.mbox"));
}

TEST_F(MboxStoreTest, NeverDeliversAsRoot) {
  if (!started_as_root()) GTEST_SKIP() << "needs root";
  RootScope root;
  const auto outcome = deliver(test_message("m1"), mbox_recipient());
  EXPECT_TRUE(is_reply(outcome, "451 4.3.0 <alice@example.org> Local delivery error"));
  EXPECT_EQ(outcome.detail, "refusing to deliver as root");
  EXPECT_FALSE(std::filesystem::exists(mbox()));
}
