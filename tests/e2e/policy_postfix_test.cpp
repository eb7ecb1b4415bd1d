// End to end: a real Postfix smtpd asking letterbox-policyd at RCPT time with the snippet of
// etc/postfix/main.cf.policy, as an SMTP client (not Postfix's lmtp) sees it; accepted mail goes on to
// letterbox-lmtpd and into the mailbox.
#include <gtest/gtest.h>

#include <thread>

#include "postfix.hpp"
#include "slapd.hpp"
#include "test_support.hpp"

using namespace letterbox::test;
using namespace std::chrono_literals;

namespace {

class PolicyPostfixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!started_as_root()) GTEST_SKIP() << "Postfix needs root";
    std::filesystem::create_directories(mail_root());
    // smtpd and lmtp run as the postfix user: they must reach the sockets.
    std::filesystem::permissions(tmp_.path(), std::filesystem::perms::all);
    // alice (a Maildir under the 10 KiB default quota) has 9,000 bytes.
    const auto alice = mail_root() / "example.org" / "alice" / "Maildir";
    for (const char* sub : {"new", "cur", "tmp"}) std::filesystem::create_directories(alice / sub);
    write_file(alice / "cur" / "1.M1P1.host,S=9000:2,", std::string(9000, 'x'));
    write_file(tmp_ / "letterbox.conf",
               "[server]\nlisten = unix:" + lmtp_socket().string() +
                   "\nsocket_mode = 0666\nuser = nobody\ngroup = nogroup\nhostname = lmtp.test\n" +
                   slapd_.config_section("cache_ttl = 1ms\nnegative_cache_ttl = 1ms\nstale_ttl = 0s\n") +
                   "[delivery]\nmail_root = " + mail_root().string() +
                   "\nquota = 10K\nlock_timeout = 1s\n[policy]\nlisten = unix:" + policy_socket().string() +
                   "\ndomains = example.org\ngreylist = yes\ngreylist_delay = 2s\ngreylist_allow_clients =\n"
                   "greylist_db = " +
                   (tmp_ / "greylist.db").string() + "\n[log]\ntarget = " + (tmp_ / "letterbox.log").string() + "\n");
    lmtpd_ = std::make_unique<Background>(
        std::vector<std::string>{LETTERBOX_LMTPD_PATH, "-c", (tmp_ / "letterbox.conf").string(), "--foreground"});
    policyd_ = std::make_unique<Background>(
        std::vector<std::string>{LETTERBOX_POLICYD_PATH, "-c", (tmp_ / "letterbox.conf").string(), "--foreground"});
    ASSERT_TRUE(wait_for_file(lmtp_socket()));
    ASSERT_TRUE(wait_for_file(policy_socket()));
    // etc/postfix/main.cf.policy, without permit_mynetworks: the test client is on the loopback.
    const std::string policy =
        "check_policy_service { unix:" + policy_socket().string() + ", timeout=10s, default_action=DUNNO }";
    postfix_ = std::make_unique<Postfix>(
        std::vector<std::string>{"virtual_transport = lmtp:unix:" + lmtp_socket().string(),
                                 "smtpd_recipient_restrictions = reject_unauth_destination, " + policy,
                                 "smtpd_end_of_data_restrictions = " + policy},
        "");
  }

  std::filesystem::path mail_root() const { return tmp_ / "mail"; }
  std::filesystem::path lmtp_socket() const { return tmp_ / "lmtp.sock"; }
  std::filesystem::path policy_socket() const { return tmp_ / "policy.sock"; }

  std::string rcpt(const std::string& recipient, const std::string& mail_parameters = "") {
    return postfix_->submit("sender@client.test", recipient, test_message("p"), mail_parameters);
  }

  Slapd slapd_;
  TempDir tmp_;
  std::unique_ptr<Background> lmtpd_;
  std::unique_ptr<Background> policyd_;
  std::unique_ptr<Postfix> postfix_;
};

}  // namespace

TEST_F(PolicyPostfixTest, TheSendingServerSeesEveryAnswerAtRcptTime) {
  EXPECT_EQ(rcpt("nobody@example.org"), "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown");
  EXPECT_EQ(rcpt("carol@example.org"), "550 5.2.1 <carol@example.org>: Recipient address rejected: Mailbox disabled");
  EXPECT_EQ(rcpt("dave@example.org"),
            "450 4.2.1 <dave@example.org>: Recipient address rejected: Mailbox temporarily unavailable");
  EXPECT_EQ(rcpt("alice@example.org", "SIZE=2000"),
            "450 4.2.2 <alice@example.org>: Recipient address rejected: Mailbox full");
  // bob's alias, bob's mbox: 1 MiB quota.
  EXPECT_EQ(rcpt("builder@example.org", "SIZE=2000000"),
            "450 4.2.2 <builder@example.org>: Recipient address rejected: Mailbox full");
  // Greylisted, then accepted after the delay and delivered through letterbox-lmtpd.
  EXPECT_EQ(rcpt("erin@example.org"),
            "450 4.7.1 <erin@example.org>: Recipient address rejected: Greylisted, try again in 2 seconds");
  std::this_thread::sleep_for(2100ms);
  const auto accepted = rcpt("erin@example.org");
  EXPECT_TRUE(accepted.starts_with("250 2.0.0 Ok: queued")) << accepted;
  EXPECT_NE(postfix_->wait_for_log(std::regex("to=<erin@example.org>, relay=.*lmtp.sock.*dsn=2\\.0\\.0, status=sent")),
            "")
      << postfix_->maillog();
  const auto mbox = read_file(mail_root() / "example.org" / "erin.mbox");
  EXPECT_NE(mbox.find("X-Greylist: delayed 2 seconds by letterbox-policyd"), std::string::npos) << mbox;
  EXPECT_NE(mbox.find("Message-ID: <p>"), std::string::npos) << mbox;
  // The directory down: 450 4.4.3, never a 5xx.
  slapd_.stop();
  EXPECT_EQ(rcpt("nobody@example.org"),
            "450 4.4.3 <nobody@example.org>: Recipient address rejected: Directory unavailable, try again later");
  EXPECT_EQ(rcpt("erin@example.org"),
            "450 4.4.3 <erin@example.org>: Recipient address rejected: Directory unavailable, try again later");
}
