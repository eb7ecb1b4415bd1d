// End to end: a real Postfix delivering to letterbox-lmtpd with virtual_transport = lmtp:unix:...,
// as etc/postfix/main.cf.lmtp documents, and over TCP with STARTTLS, as between hosts.
#include <gtest/gtest.h>

#include "lmtpd_for_postfix.hpp"
#include "postfix.hpp"
#include "test_support.hpp"

using namespace letterbox::test;

namespace {

class LmtpPostfixTest : public LmtpdForPostfix {
 protected:
  void SetUp() override {
    if (!started_as_root()) GTEST_SKIP() << "Postfix needs root";
    start_lmtpd("unix:" + socket().string());
    if (HasFatalFailure()) return;
    postfix_ =
        std::make_unique<Postfix>(std::vector<std::string>{"virtual_transport = lmtp:unix:" + socket().string()}, "");
  }

  static std::regex log_line(const std::string& rcpt, const std::string& rest) {
    return std::regex("to=<" + rcpt + ">, relay=.*lmtp.sock.*" + rest);
  }
};

// Between hosts (docs/scaling.md): Postfix delivers over TCP and, with lmtp_tls_security_level =
// encrypt, sends nothing unless STARTTLS succeeds.
class LmtpTlsPostfixTest : public LmtpdForPostfix {
 protected:
  void SetUp() override {
    if (!started_as_root()) GTEST_SKIP() << "Postfix needs root";
    port_ = free_port();
    const auto cert = (tmp_ / "lmtp.crt").string();
    const auto key = (tmp_ / "lmtp.key").string();
    const auto made = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=lmtp.test",
                           "-days", "2", "-keyout", key, "-out", cert});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    start_lmtpd("inet:127.0.0.1:" + std::to_string(port_) + " unix:" + socket().string(),
                "tls_cert_file = " + cert + "\ntls_key_file = " + key + "\ntls_required = yes\n");
    if (HasFatalFailure()) return;
    postfix_ = std::make_unique<Postfix>(
        std::vector<std::string>{"virtual_transport = lmtp:inet:127.0.0.1:" + std::to_string(port_),
                                 "lmtp_tls_security_level = encrypt", "lmtp_tls_loglevel = 1"},
        "");
  }

  int port_ = 0;
};

}  // namespace

TEST_F(LmtpPostfixTest, DeliveredBouncedDeferredAndRetried) {
  ASSERT_TRUE(postfix_->submit("sender@client.test", "alice@example.org", test_message("lmtp-1")).starts_with("250"));
  EXPECT_NE(postfix_->wait_for_log(log_line("alice@example.org", "dsn=2\\.0\\.0, status=sent")), "")
      << postfix_->maillog();
  const auto report = read_mailbox("maildir", alice());
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

TEST_F(LmtpTlsPostfixTest, PostfixDeliversOverStartTls) {
  ASSERT_TRUE(postfix_->submit("sender@client.test", "alice@example.org", test_message("lmtps-1")).starts_with("250"));
  const auto sent = postfix_->wait_for_log(
      std::regex("to=<alice@example\\.org>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:" + std::to_string(port_) +
                 ".*dsn=2\\.0\\.0, status=sent"));
  ASSERT_NE(sent, "") << postfix_->maillog() << read_file(lmtpd_log());
  EXPECT_NE(postfix_->maillog().find("TLS connection established to 127.0.0.1[127.0.0.1]:" + std::to_string(port_)),
            std::string::npos)
      << postfix_->maillog();
  EXPECT_EQ(read_mailbox("maildir", alice()), "lmtps-1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  const auto text = read_file(std::filesystem::directory_iterator(alice() / "new")->path());
  EXPECT_NE(text.find("(Letterbox) with LMTPS id "), std::string::npos) << text;
  EXPECT_TRUE(wait_until([&] { return read_file(lmtpd_log()).find("TLS established: TLSv1.") != std::string::npos; },
                         std::chrono::seconds(5)))
      << read_file(lmtpd_log());
}
