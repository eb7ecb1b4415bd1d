// End to end: Sieve's vacation through a real Postfix. Postfix delivers to letterbox-lmtpd over LMTP;
// alice's script answers with a vacation reply, which letterbox-lmtpd (as the user nobody) hands to
// Postfix's own sendmail(1); Postfix routes it back to Letterbox, into the sender's mailbox. What an
// administrator checks: Postfix's log and the mailboxes, read with Python's mailbox module. One reply per
// sender within :days, none to a mailing list, and the memory of who was answered survives a kill -9.
#include <signal.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "lmtpd_for_postfix.hpp"
#include "postfix.hpp"
#include "test_support.hpp"

using namespace letterbox::test;

namespace {

namespace fs = std::filesystem;

class SievePostfixTest : public LmtpdForPostfix {
 protected:
  void SetUp() override {
    if (!started_as_root()) GTEST_SKIP() << "Postfix needs root";
    // Alice's active script, in her user_dir (the default %d/%u/sieve); the server writes its reply
    // tracking (.letterbox-state) beside it as the delivery user.
    const auto scripts = mail_root() / "example.org" / "alice" / "sieve";
    fs::create_directories(scripts);
    write_file(scripts / "main.sieve",
               "require \"vacation\";\nvacation :days 3 :subject \"Away\" \"I am away until Monday.\";\n");
    write_file(scripts / "active", "main\n");
    ASSERT_EQ(run({"chown", "-R", "nobody:nogroup", (mail_root() / "example.org").string()}).exit_code, 0);

    postfix_ = std::make_unique<Postfix>(std::vector<std::string>{"virtual_transport = lmtp:unix:" + socket().string()},
                                         "", true);
    start();
  }

  void start() {
    start_lmtpd("unix:" + socket().string(), "",
                "[sieve]\nenabled = yes\nsendmail = " + postfix_->sendmail_command() + "\n");
  }

  // Submits over SMTP and waits until Postfix has handed the message to Letterbox.
  void deliver_to_alice(const std::string& id, const std::string& sender, const std::string& extra_header = "") {
    const std::string message = "Message-ID: <" + id + ">\nFrom: <" + sender +
                                ">\nTo: alice@example.org\nSubject: question " + id + "\n" + extra_header +
                                "\nbody of " + id + "\n";
    ASSERT_TRUE(postfix_->submit(sender, "alice@example.org", message).starts_with("250"));
    ASSERT_NE(postfix_->wait_for_log(std::regex("to=<alice@example.org>, .*status=sent.*"), std::chrono::seconds(60)),
              "")
        << postfix_->maillog();
    ++delivered_to_alice_;
    ASSERT_TRUE(
        wait_until([&] { return sent_lines("alice@example.org") == delivered_to_alice_; }, std::chrono::seconds(30)))
        << postfix_->maillog();
  }

  // How many "status=sent" lines Postfix logged for `rcpt`.
  std::size_t sent_lines(const std::string& rcpt) const {
    const std::regex line("to=<" + rcpt + ">, .*status=sent");
    const auto log = postfix_->maillog();
    return static_cast<std::size_t>(
        std::distance(std::sregex_iterator(log.begin(), log.end(), line), std::sregex_iterator()));
  }

  // Each message of a mailbox as "Subject|Auto-Submitted|In-Reply-To|Return-Path|To", by Python's
  // mailbox module (not our parser).
  static std::string headers_of(const std::string& format, const fs::path& path) {
    const auto r = run({"python3", "-c",
                        "import mailbox, sys\n"
                        "box = mailbox.mbox(sys.argv[2]) if sys.argv[1] == 'mbox' else "
                        "mailbox.Maildir(sys.argv[2], factory=None, create=False)\n"
                        "for m in sorted(box, key=lambda m: m['Subject'] or ''):\n"
                        "    print('|'.join(str(m[h]) for h in ('Subject', 'Auto-Submitted', 'In-Reply-To', "
                        "'Return-Path', 'To')))\n",
                        format, path.string()});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output;
  }

  fs::path bob_mbox() const { return mail_root() / "example.org" / "bob.mbox"; }
  fs::path frank() const { return mail_root() / "example.org" / "frank" / "Maildir"; }

  std::size_t delivered_to_alice_ = 0;
};

}  // namespace

TEST_F(SievePostfixTest, OneVacationReplyPerSenderNoneToAListAndTheMemorySurvivesAKill) {
  // The first message from bob is answered: the reply goes out through Postfix and lands in his mbox.
  deliver_to_alice("v1", "builder@example.org");
  ASSERT_TRUE(wait_until([&] { return sent_lines("builder@example.org") == 1; }, std::chrono::seconds(60)))
      << postfix_->maillog() << read_file(lmtpd_log());
  EXPECT_EQ(headers_of("mbox", bob_mbox()), "Away|auto-replied (vacation)|<v1>|<>|builder@example.org\n");
  // Postfix's pickup took it from sendmail run by the delivery user, not from root.
  EXPECT_NE(read_file(bob_mbox()).find("(Postfix, from userid 65534)"), std::string::npos) << read_file(bob_mbox());

  // Within :days, bob gets no second reply; a list message gets none at all.
  deliver_to_alice("v2", "builder@example.org");
  deliver_to_alice("v3", "frank@example.org", "List-Id: <news.example.org>\n");

  // The server is killed; the new one still knows bob was answered.
  ASSERT_EQ(lmtpd_->signal_and_wait(SIGKILL), 128 + SIGKILL);
  lmtpd_.reset();
  fs::remove(socket());
  start();
  deliver_to_alice("v4", "builder@example.org");

  // frank writes without a list: answered. Once his reply is through, bob's count is final: any reply
  // to v2 or v4 would have been handed to Postfix before the delivery it answers was acknowledged.
  deliver_to_alice("v5", "frank@example.org");
  ASSERT_TRUE(wait_until([&] { return sent_lines("frank@example.org") == 1; }, std::chrono::seconds(60)))
      << postfix_->maillog() << read_file(lmtpd_log());
  EXPECT_EQ(headers_of("maildir", frank()), "Away|auto-replied (vacation)|<v5>|<>|frank@example.org\n");
  EXPECT_EQ(sent_lines("builder@example.org"), 1U) << postfix_->maillog();
  EXPECT_EQ(headers_of("maildir", alice()),
            "question v1|None|None|<builder@example.org>|alice@example.org\n"
            "question v2|None|None|<builder@example.org>|alice@example.org\n"
            "question v3|None|None|<frank@example.org>|alice@example.org\n"
            "question v4|None|None|<builder@example.org>|alice@example.org\n"
            "question v5|None|None|<frank@example.org>|alice@example.org\n");
}
