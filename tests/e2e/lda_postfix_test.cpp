// End to end: a real Postfix hands mail to letterbox-lda through a pipe(8) transport, as etc/postfix
// documents. What an administrator checks: Postfix's log (sent / bounced / deferred with the DSN), its
// queue, and the mailbox.
#include <gtest/gtest.h>

#include "postfix.hpp"
#include "slapd.hpp"
#include "test_support.hpp"

using namespace letterbox::test;

namespace {

class LdaPostfixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!started_as_root()) GTEST_SKIP() << "Postfix needs root";
    std::filesystem::create_directories(mail_root());
    write_file(tmp_ / "letterbox.conf", "[server]\nuser = nobody\ngroup = nogroup\n" + slapd_.config_section() +
                                            "[delivery]\nmail_root = " + mail_root().string() +
                                            "\nlock_timeout = 1s\n");
    // The same transport etc/postfix/master.cf.lda documents, pointed at the build and this configuration.
    postfix_ = std::make_unique<Postfix>(
        std::vector<std::string>{"virtual_transport = letterbox", "letterbox_destination_recipient_limit = 1"},
        "letterbox unix - n n - - pipe\n  flags=q user=nobody argv=" + std::string(LETTERBOX_LDA_PATH) + " -c " +
            (tmp_ / "letterbox.conf").string() + " -f ${sender} -a ${recipient}");
  }

  std::filesystem::path mail_root() const { return tmp_ / "mail"; }

  static std::regex log_line(const std::string& rcpt, const std::string& rest) {
    return std::regex("to=<" + rcpt + ">, relay=letterbox, .*" + rest);
  }

  Slapd slapd_;
  TempDir tmp_;
  std::unique_ptr<Postfix> postfix_;
};

}  // namespace

TEST_F(LdaPostfixTest, DeliveredBouncedDeferredAndRetried) {
  // Delivered.
  ASSERT_TRUE(postfix_->submit("sender@client.test", "alice@example.org", test_message("e2e-1")).starts_with("250"));
  EXPECT_NE(postfix_->wait_for_log(log_line("alice@example.org", "dsn=2\\.0\\.0, status=sent")), "")
      << postfix_->maillog();
  EXPECT_EQ(read_mailbox("maildir", mail_root() / "example.org" / "alice" / "Maildir"),
            "e2e-1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");

  // Unknown user: bounced with 5.1.1.
  ASSERT_TRUE(
      postfix_->submit("sender@client.test", "nosuchuser@example.org", test_message("e2e-2")).starts_with("250"));
  const auto bounced = postfix_->wait_for_log(log_line("nosuchuser@example.org", "dsn=5\\.1\\.1, status=bounced"));
  EXPECT_NE(bounced, "") << postfix_->maillog();
  EXPECT_NE(bounced.find("User unknown"), std::string::npos) << bounced;

  // A dotlocked mbox: deferred with 4.2.0, queued, then delivered once the lock is gone.
  const auto mbox = mail_root() / "example.org" / "bob.mbox";
  std::filesystem::create_directories(mbox.parent_path());
  write_file(mbox, "");
  ASSERT_EQ(run({"dotlockfile", "-l", "-r", "0", mbox.string() + ".lock"}).exit_code, 0);
  ASSERT_TRUE(
      postfix_->submit("sender@client.test", "bob.builder@example.org", test_message("e2e-3")).starts_with("250"));
  const auto deferred = postfix_->wait_for_log(log_line("bob.builder@example.org", "dsn=4\\.2\\.0, status=deferred"));
  EXPECT_NE(deferred, "") << postfix_->maillog();
  EXPECT_NE(deferred.find("Mailbox locked"), std::string::npos) << deferred;
  const auto queue = postfix_->queue_json();
  EXPECT_NE(queue.find("\"address\": \"bob.builder@example.org\""), std::string::npos) << queue;
  // pipe(8) takes the leading "4.2.0" as the DSN status (the log line above shows dsn=4.2.0) and keeps
  // the rest as the delay reason.
  EXPECT_NE(queue.find("\"delay_reason\": \"<bob.builder@example.org> Mailbox locked, try again later\""),
            std::string::npos)
      << queue;
  EXPECT_EQ(read_file(mbox), "");
  ASSERT_EQ(run({"dotlockfile", "-u", mbox.string() + ".lock"}).exit_code, 0);
  postfix_->flush();
  EXPECT_NE(postfix_->wait_for_log(log_line("bob.builder@example.org", "status=sent")), "") << postfix_->maillog();
  EXPECT_EQ(read_mailbox("mbox", mbox), "e2e-3\tOK\t<sender@client.test>\tbob.builder@example.org\ncount 1\n");
}

TEST_F(LdaPostfixTest, DirectoryDownIsDeferredNeverBounced) {
  slapd_.stop();
  ASSERT_TRUE(
      postfix_->submit("sender@client.test", "nosuchuser@example.org", test_message("e2e-4")).starts_with("250"));
  const auto deferred = postfix_->wait_for_log(log_line("nosuchuser@example.org", "dsn=4\\.4\\.3, status=deferred"));
  EXPECT_NE(deferred, "") << postfix_->maillog();
  EXPECT_EQ(postfix_->maillog().find("status=bounced"), std::string::npos) << postfix_->maillog();
  EXPECT_NE(postfix_->queue_json().find("nosuchuser@example.org"), std::string::npos);
}
