// End to end: a real Postfix delivering to letterbox-lmtpd with virtual_transport = lmtp:unix:...,
// as etc/postfix/main.cf.lmtp documents.
#include <gtest/gtest.h>

#include "../support/postfix.hpp"
#include "../support/slapd.hpp"
#include "../support/test_support.hpp"

using namespace letterbox::test;

namespace {

class LmtpPostfixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!started_as_root()) GTEST_SKIP() << "Postfix needs root";
    std::filesystem::create_directories(mail_root());
    // Postfix's lmtp client runs as the postfix user: it must reach the socket.
    std::filesystem::permissions(tmp_.path(), std::filesystem::perms::all);
    const auto ldap = slapd_.settings();
    write_file(tmp_ / "letterbox.conf",
               "[server]\nlisten = unix:" + socket().string() +
                   "\nsocket_mode = 0666\nuser = nobody\ngroup = nogroup\nhostname = lmtp.test\n[ldap]\nuri = " +
                   slapd_.uri() + "\nbase = " + ldap.base + "\nbind_dn = " + ldap.bind_dn +
                   "\nbind_password_file = " + ldap.bind_password_file + "\nfilter = " + ldap.filter +
                   "\nmailbox_attribute = letterboxMailbox\nformat_attribute = letterboxFormat\n"
                   "quota_attribute = letterboxQuota\nstatus_attribute = letterboxStatus\n"
                   "network_timeout = 1s\ntimeout = 1s\ncache_ttl = 1ms\n[delivery]\nmail_root = " +
                   mail_root().string() + "\nlock_timeout = 1s\n[log]\ntarget = " + (tmp_ / "lmtpd.log").string() +
                   "\n");
    lmtpd_ = std::make_unique<Background>(
        std::vector<std::string>{LETTERBOX_LMTPD_PATH, "-c", (tmp_ / "letterbox.conf").string(), "--foreground"});
    ASSERT_TRUE(wait_for_file(socket()));
    postfix_ =
        std::make_unique<Postfix>(std::vector<std::string>{"virtual_transport = lmtp:unix:" + socket().string()}, "");
  }

  std::filesystem::path mail_root() const { return tmp_ / "mail"; }
  std::filesystem::path socket() const { return tmp_ / "lmtp.sock"; }
  static std::regex log_line(const std::string& rcpt, const std::string& rest) {
    return std::regex("to=<" + rcpt + ">, relay=.*lmtp.sock.*" + rest);
  }

  Slapd slapd_;
  TempDir tmp_;
  std::unique_ptr<Background> lmtpd_;
  std::unique_ptr<Postfix> postfix_;
};

}  // namespace

TEST_F(LmtpPostfixTest, DeliveredBouncedDeferredAndRetried) {
  ASSERT_TRUE(postfix_->submit("sender@client.test", "alice@example.org", test_message("lmtp-1")).starts_with("250"));
  EXPECT_NE(postfix_->wait_for_log(log_line("alice@example.org", "dsn=2\\.0\\.0, status=sent")), "")
      << postfix_->maillog();
  const auto report = read_mailbox("maildir", mail_root() / "example.org" / "alice" / "Maildir");
  EXPECT_EQ(report, "lmtp-1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");

  ASSERT_TRUE(
      postfix_->submit("sender@client.test", "nosuchuser@example.org", test_message("lmtp-2")).starts_with("250"));
  const auto bounced = postfix_->wait_for_log(log_line("nosuchuser@example.org", "dsn=5\\.1\\.1, status=bounced"));
  EXPECT_NE(bounced, "") << postfix_->maillog();
  EXPECT_NE(bounced.find("550 5.1.1 <nosuchuser@example.org> User unknown"), std::string::npos) << bounced;

  const auto mbox = mail_root() / "example.org" / "erin.mbox";
  std::filesystem::create_directories(mbox.parent_path());
  write_file(mbox, "");
  ASSERT_EQ(run({"dotlockfile", "-l", "-r", "0", mbox.string() + ".lock"}).exit_code, 0);
  ASSERT_TRUE(postfix_->submit("sender@client.test", "erin@example.org", test_message("lmtp-3")).starts_with("250"));
  const auto deferred = postfix_->wait_for_log(log_line("erin@example.org", "dsn=4\\.2\\.0, status=deferred"));
  EXPECT_NE(deferred, "") << postfix_->maillog();
  const auto queue = postfix_->queue_json();
  EXPECT_NE(queue.find("450 4.2.0 <erin@example.org> Mailbox locked, try again later"), std::string::npos) << queue;
  EXPECT_EQ(read_file(mbox), "");
  ASSERT_EQ(run({"dotlockfile", "-u", mbox.string() + ".lock"}).exit_code, 0);
  postfix_->flush();
  EXPECT_NE(postfix_->wait_for_log(log_line("erin@example.org", "status=sent")), "") << postfix_->maillog();
  EXPECT_EQ(read_mailbox("mbox", mbox), "lmtp-3\tOK\t<sender@client.test>\terin@example.org\ncount 1\n");
}

TEST_F(LmtpPostfixTest, DirectoryDownIsDeferredNeverBounced) {
  slapd_.stop();
  ASSERT_TRUE(
      postfix_->submit("sender@client.test", "nosuchuser@example.org", test_message("lmtp-4")).starts_with("250"));
  const auto deferred = postfix_->wait_for_log(log_line("nosuchuser@example.org", "dsn=4\\.4\\.3, status=deferred"));
  EXPECT_NE(deferred, "") << postfix_->maillog();
  EXPECT_EQ(postfix_->maillog().find("status=bounced"), std::string::npos) << postfix_->maillog();
  const auto queue = postfix_->queue_json();
  EXPECT_NE(queue.find("450 4.4.3 <nosuchuser@example.org> Directory unavailable, try again later"), std::string::npos)
      << queue;
}
