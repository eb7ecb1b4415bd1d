// What Sieve sends, through real letterbox-lmtpd and letterbox-lda processes with a real slapd: a small
// shell script stands in for the MTA's sendmail and records, call by call, its arguments and the bytes it
// was given. Redirect: the exact envelope and loop mark, a failure that defers the whole delivery with no
// copy left behind, one redirect per message, loops kept in the inbox. Vacation: one reply per sender and
// period, none to lists or the null sender, the tracking across a kill -9 of the server, failures that
// change nothing. The LDA's exit code, and the counters served on /metrics.
#include <signal.h>
#include <sysexits.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "lmtpd_sieve_fixture.hpp"

namespace letterbox::test {
namespace {

namespace fs = std::filesystem;

class LmtpdSieveOutboundTest : public LmtpdSieveTest {
 protected:
  void SetUp() override {
    LmtpdSieveTest::SetUp();
    fs::create_directories(calls_dir());
    // Call N leaves N.argv and N.stdin; with a file "fail" present it fails as Postfix's does when its
    // queue cannot be written.
    const auto dir = calls_dir().string();
    write_file(sendmail(), "#!/bin/sh\nif [ -e " + dir + "/fail ]; then cat >/dev/null; echo 'sendmail: fatal: " +
                               "queue file write error' >&2; exit 75; fi\nn=$(ls " + dir +
                               " | grep -c argv); n=$((n + 1))\nprintf '%s\\n' \"$@\" > " + dir + "/$n.argv\ncat > " +
                               dir + "/$n.stdin\n");
    fs::permissions(sendmail(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
  }

  fs::path calls_dir() const { return tmp_ / "sendmail-calls"; }
  fs::path sendmail() const { return tmp_ / "sendmail"; }
  std::string outbound_config(const std::string& sieve_extra = "") const {
    return sieve_config("sendmail = " + sendmail().string() + "\n" + sieve_extra);
  }
  void start_outbound(const std::string& sieve_extra = "") { start_with(outbound_config(sieve_extra)); }
  void fail_sendmail(bool fail) const {
    if (fail) {
      write_file(calls_dir() / "fail", "");
    } else {
      fs::remove(calls_dir() / "fail");
    }
  }

  std::size_t calls() const {
    std::size_t n = 0;
    for (const auto& name : names_in(calls_dir())) n += name.ends_with(".argv") ? 1 : 0;
    return n;
  }
  std::string argv_of(int call) const { return read_file(calls_dir() / (std::to_string(call) + ".argv")); }
  std::string stdin_of(int call) const { return read_file(calls_dir() / (std::to_string(call) + ".stdin")); }

  // A message to alice (vacation answers only mail addressed to the user), `extra` header lines added.
  static std::string message(const std::string& id, const std::string& extra = "") {
    return "Message-ID: <" + id + ">\nFrom: Sender <sender@client.test>\nTo: alice@example.org\nSubject: hello " + id +
           "\n" + extra + "\nbody of " + id + "\n";
  }
  std::string send_to_alice_from(const std::string& text, const std::string& sender = "sender@client.test") {
    return send_message(text, {"alice@example.org"}, sender).at(0);
  }
  // How many copies of message `id` the Maildir (or folder) `dir` holds.
  static std::size_t copies_in(const fs::path& dir, const std::string& id) {
    std::size_t n = 0;
    for (const char* sub : {"new", "cur"}) {
      for (const auto& name : names_in(dir / sub))
        n += count_of(read_file(dir / sub / name), "Message-ID: <" + id + ">");
    }
    return n;
  }

  // The LDA delivering `text` to alice from sender@client.test, with this test's configuration.
  SplitRunResult lda(const std::string& text) {
    write_file(config(), outbound_config());
    return run_split(
        {LETTERBOX_LDA_PATH, "-c", config().string(), "-f", "sender@client.test", "-a", "alice@example.org"}, text);
  }
};

const std::string kRedirectArgv = "-i\n-f\nsender@client.test\n--\ncarol@example.net\n";

TEST_F(LmtpdSieveOutboundTest, RedirectGoesToSendmailWithTheEnvelopeAndTheLoopMark) {
  activate(alice_scripts(), "redirect \"carol@example.net\";\n");
  start_outbound();
  EXPECT_EQ(send_to_alice_from(message("r1")), kDelivered);
  ASSERT_EQ(calls(), 1U);
  EXPECT_EQ(argv_of(1), kRedirectArgv);
  // The spool keeps lines as LF, and the mark follows the message's line ends.
  EXPECT_EQ(stdin_of(1), "X-Sieve-Redirected-From: alice@example.org\n" + message("r1"));
  // redirect without :copy cancels the implicit keep.
  EXPECT_TRUE(names_in(alice() / "new").empty());
  EXPECT_TRUE(log_has("sieve: to=<alice@example.org> redirected to <carol@example.net> (line 1)")) << log();
}

TEST_F(LmtpdSieveOutboundTest, RedirectCopyKeepsTheMessageAndTheNullSenderStaysNull) {
  activate(alice_scripts(), "require \"copy\";\nredirect :copy \"carol@example.net\";\n");
  start_outbound();
  EXPECT_EQ(send_to_alice_from(message("r2"), ""), kDelivered);
  ASSERT_EQ(calls(), 1U);
  EXPECT_EQ(argv_of(1), "-i\n-f\n<>\n--\ncarol@example.net\n");
  EXPECT_EQ(copies_in(alice(), "r2"), 1U);
}

TEST_F(LmtpdSieveOutboundTest, RedirectFailureAnswers451AndLeavesNoCopyThenTheRetryDeliversOnce) {
  activate(alice_scripts(),
           "require [\"fileinto\", \"mailbox\"];\nfileinto :create \"Archive\";\nkeep;\n"
           "redirect \"carol@example.net\";\n");
  start_outbound();
  fail_sendmail(true);
  EXPECT_EQ(send_to_alice_from(message("f1")), "451 4.3.0 <alice@example.org> Local delivery error");
  EXPECT_TRUE(log_has("redirect to <carol@example.net> (line 4) failed: " + sendmail().string() +
                      " exited with status 75 (temporary failure): sendmail: fatal: queue file write error"))
      << log();
  EXPECT_TRUE(log_has("sieve: to=<alice@example.org> taking back 2 stored copies: a redirect was not sent")) << log();
  for (const auto& dir : {alice(), alice() / ".Archive"}) {
    EXPECT_TRUE(names_in(dir / "new").empty()) << dir;
    EXPECT_TRUE(names_in(dir / "cur").empty()) << dir;
  }
  EXPECT_EQ(calls(), 0U);

  fail_sendmail(false);
  EXPECT_EQ(send_to_alice_from(message("f1")), kDelivered);
  EXPECT_EQ(calls(), 1U);
  EXPECT_EQ(copies_in(alice(), "f1"), 1U);
  EXPECT_EQ(copies_in(alice() / ".Archive", "f1"), 1U);
}

TEST_F(LmtpdSieveOutboundTest, RedirectFailureOfAnMboxUserTruncatesTheCopyBack) {
  activate(mail_root() / "example.org" / "bob.builder" / "sieve",
           "require \"copy\";\nredirect :copy \"carol@example.net\";\n");
  start_outbound();
  fail_sendmail(true);
  const std::string bob = "bob.builder@example.org";
  EXPECT_EQ(send_message(message("m1"), {bob}).at(0), "451 4.3.0 <" + bob + "> Local delivery error");
  EXPECT_TRUE(!fs::exists(bob_mbox()) || read_file(bob_mbox()).empty());
  fail_sendmail(false);
  EXPECT_EQ(send_message(message("m1"), {bob}).at(0), "250 2.0.0 <" + bob + "> Delivered");
  EXPECT_EQ(count_of(read_file(bob_mbox()), "Message-ID: <m1>"), 1U);
  EXPECT_EQ(calls(), 1U);
}

TEST_F(LmtpdSieveOutboundTest, TheSameMessageTwiceIsRedirectedOnce) {
  activate(alice_scripts(), "redirect \"carol@example.net\";\n");
  start_outbound();
  EXPECT_EQ(send_to_alice_from(message("d1")), kDelivered);
  EXPECT_EQ(send_to_alice_from(message("d1")), kDelivered);
  EXPECT_EQ(calls(), 1U);
  EXPECT_TRUE(
      log_has("redirect to <carol@example.net> (line 1) skipped: sent already within "
              "redirect_duplicate_period"))
      << log();
  EXPECT_EQ(send_to_alice_from(message("d2")), kDelivered);
  EXPECT_EQ(calls(), 2U);
}

TEST_F(LmtpdSieveOutboundTest, ARedirectLoopKeepsTheMessageInTheInbox) {
  activate(alice_scripts(), "redirect \"carol@example.net\";\n");
  start_outbound();
  EXPECT_EQ(send_to_alice_from(message("loop-1", "X-Sieve-Redirected-From: alice@example.org\n")), kDelivered);
  EXPECT_EQ(calls(), 0U);
  EXPECT_EQ(copies_in(alice(), "loop-1"), 1U);
  EXPECT_TRUE(log_has("sieve: to=<alice@example.org> redirect to <carol@example.net> (line 1) not sent: ")) << log();
  EXPECT_TRUE(log_has("; the message is kept in the inbox")) << log();
}

TEST_F(LmtpdSieveOutboundTest, MoreRedirectsThanMaxRedirectsSendNoneAndKeep) {
  activate(alice_scripts(), "redirect \"carol@example.net\";\nredirect \"dave@example.net\";\n");
  start_outbound("max_redirects = 1\n");
  EXPECT_EQ(send_to_alice_from(message("many-1")), kDelivered);
  EXPECT_EQ(calls(), 0U);
  EXPECT_EQ(copies_in(alice(), "many-1"), 1U);
}

// The reply with its Message-ID and Date replaced by "ID" and "DATE", which are the only parts that vary.
std::string stable_reply(const std::string& reply) {
  auto text = std::regex_replace(reply,
                                 std::regex("^Message-ID: <[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9a-f]{16}\\.vacation@"
                                            "lmtp\\.test>\r\n"),
                                 "Message-ID: ID\r\n");
  return std::regex_replace(text, std::regex("\r\nDate: [^\r]*\r\n"), "\r\nDate: DATE\r\n");
}

const std::string kVacationScript = "require \"vacation\";\nvacation :days 3 :subject \"Away\" \"I am away.\";\n";

TEST_F(LmtpdSieveOutboundTest, VacationRepliesOncePerSenderWithinItsDays) {
  activate(alice_scripts(), kVacationScript);
  start_outbound();
  EXPECT_EQ(send_to_alice_from(message("v1")), kDelivered);
  ASSERT_EQ(calls(), 1U);
  EXPECT_EQ(argv_of(1), "-i\n-f\n<>\n--\nsender@client.test\n");
  EXPECT_EQ(stable_reply(stdin_of(1)),
            "Message-ID: ID\r\nDate: DATE\r\nFrom: alice@example.org\r\nTo: sender@client.test\r\nSubject: Away\r\n"
            "In-Reply-To: <v1>\r\nReferences: <v1>\r\nAuto-Submitted: auto-replied (vacation)\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n"
            "\r\nI am away.\r\n")
      << stdin_of(1);
  EXPECT_TRUE(log_has("sieve: to=<alice@example.org> vacation reply sent to <sender@client.test> (line 2)")) << log();

  EXPECT_EQ(send_to_alice_from(message("v2")), kDelivered);
  EXPECT_EQ(calls(), 1U);
  EXPECT_TRUE(log_has("vacation (line 2) not sent: <sender@client.test> was answered within the last 259200s"))
      << log();
  EXPECT_EQ(send_to_alice_from(message("v3"), "other@client.test"), kDelivered);
  EXPECT_EQ(calls(), 2U);
  EXPECT_EQ(argv_of(2), "-i\n-f\n<>\n--\nother@client.test\n");
  // Each reply has its own Message-ID; the messages are all kept.
  EXPECT_NE(stdin_of(1).substr(0, 80), stdin_of(2).substr(0, 80));
  EXPECT_NE(mailbox_of("maildir", alice()).find("count 3\n"), std::string::npos);
}

TEST_F(LmtpdSieveOutboundTest, TwoSessionsAtOnceSendOneVacationReply) {
  // A slow sendmail keeps the first reply in flight while the second session's delivery decides.
  write_file(sendmail(), "#!/bin/sh\ncat > /dev/null\nsleep 1\n");
  activate(alice_scripts(), kVacationScript);
  start_outbound();
  auto first = transaction();
  auto second = transaction();
  for (auto* c : {first.get(), second.get()}) {
    EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  }
  first->send(smtp_data(message("t1")));
  second->send(smtp_data(message("t2")));
  EXPECT_EQ(first->reply(), kDelivered);
  EXPECT_EQ(second->reply(), kDelivered);
  EXPECT_EQ(count_of(log(), "vacation reply sent to <sender@client.test>"), 1U) << log();
  EXPECT_EQ(count_of(log(), "not sent: <sender@client.test> was answered within the last"), 1U) << log();
}

TEST_F(LmtpdSieveOutboundTest, NoVacationToListsTheNullSenderOrAutomaticMail) {
  activate(alice_scripts(), kVacationScript);
  start_outbound();
  EXPECT_EQ(send_to_alice_from(message("l1", "List-Id: <dev.lists.client.test>\n")), kDelivered);
  EXPECT_EQ(send_to_alice_from(message("l2"), ""), kDelivered);
  EXPECT_EQ(send_to_alice_from(message("l3", "Auto-Submitted: auto-generated\n")), kDelivered);
  EXPECT_EQ(send_to_alice_from(message("l4", "Precedence: bulk\n")), kDelivered);
  EXPECT_EQ(calls(), 0U);
  EXPECT_EQ(count_of(log(), "sieve: to=<alice@example.org> vacation (line 2) not sent: "), 4U) << log();
  EXPECT_NE(mailbox_of("maildir", alice()).find("count 4\n"), std::string::npos);
}

TEST_F(LmtpdSieveOutboundTest, VacationTrackingSurvivesAKillOfTheServer) {
  activate(alice_scripts(), kVacationScript);
  start_outbound();
  EXPECT_EQ(send_to_alice_from(message("k1")), kDelivered);
  EXPECT_EQ(calls(), 1U);
  EXPECT_EQ(server_->signal_and_wait(SIGKILL), 128 + SIGKILL);
  server_.reset();
  fs::remove(socket_path());
  start_outbound();
  EXPECT_EQ(send_to_alice_from(message("k2")), kDelivered);
  EXPECT_EQ(calls(), 1U);
  EXPECT_TRUE(fs::exists(alice_scripts() / ".letterbox-state"));
}

TEST_F(LmtpdSieveOutboundTest, AVacationThatCannotBeSentChangesNothingAndIsNotRecorded) {
  activate(alice_scripts(), kVacationScript);
  start_outbound();
  fail_sendmail(true);
  EXPECT_EQ(send_to_alice_from(message("s1")), kDelivered);
  EXPECT_TRUE(log_has("vacation reply to <sender@client.test> (line 2) not sent: ")) << log();
  fail_sendmail(false);
  EXPECT_EQ(send_to_alice_from(message("s2")), kDelivered);
  EXPECT_EQ(calls(), 1U);
  EXPECT_NE(mailbox_of("maildir", alice()).find("count 2\n"), std::string::npos);
}

TEST_F(LmtpdSieveOutboundTest, CountersAreServedOnMetrics) {
  activate(alice_scripts(),
           "require [\"vacation\", \"copy\"];\nredirect :copy \"carol@example.net\";\nvacation \"Away.\";\n");
  const int stats_port = free_port();
  start_with(outbound_config() + "[stats]\nlisten = inet:127.0.0.1:" + std::to_string(stats_port) + "\n");
  EXPECT_EQ(send_to_alice_from(message("c1")), kDelivered);
  EXPECT_EQ(send_to_alice_from(message("c2")), kDelivered);  // the vacation is suppressed this time
  const auto body = http_get(stats_port, "/metrics").body;
  EXPECT_NE(body.find("letterbox_sieve_redirects_total{result=\"sent\"} 2\n"), std::string::npos) << body;
  EXPECT_NE(body.find("letterbox_sieve_redirects_total{result=\"failed\"} 0\n"), std::string::npos) << body;
  EXPECT_NE(body.find("letterbox_sieve_vacation_replies_total{result=\"sent\"} 1\n"), std::string::npos) << body;
  EXPECT_NE(body.find("letterbox_sieve_vacation_replies_total{result=\"suppressed\"} 1\n"), std::string::npos) << body;
  // Two runs to their end, each asking for a redirect, a vacation reply and the implicit keep.
  for (const char* line :
       {"letterbox_sieve_runs_total{result=\"ok\"} 2\n", "letterbox_sieve_runs_total{result=\"error\"} 0\n",
        "letterbox_sieve_actions_total{action=\"redirect\"} 2\n",
        "letterbox_sieve_actions_total{action=\"vacation\"} 2\n", "letterbox_sieve_actions_total{action=\"keep\"} 2\n",
        "letterbox_sieve_actions_total{action=\"fileinto\"} 0\n"}) {
    EXPECT_NE(body.find(line), std::string::npos) << line << body;
  }
}

TEST_F(LmtpdSieveOutboundTest, LdaRedirectFailureExits75AndStoresNothing) {
  activate(alice_scripts(), "require \"copy\";\nredirect :copy \"carol@example.net\";\n");
  fail_sendmail(true);
  const auto failed = lda(message("lda-1"));
  EXPECT_EQ(failed.exit_code, EX_TEMPFAIL) << failed.err;
  EXPECT_EQ(failed.err, "4.3.0 <alice@example.org> Local delivery error\n");
  EXPECT_TRUE(names_in(alice() / "new").empty());
  EXPECT_EQ(calls(), 0U);

  fail_sendmail(false);
  const auto sent = lda(message("lda-1"));
  EXPECT_EQ(sent.exit_code, EX_OK) << sent.err;
  ASSERT_EQ(calls(), 1U);
  EXPECT_EQ(argv_of(1), kRedirectArgv);
  EXPECT_EQ(stdin_of(1), "X-Sieve-Redirected-From: alice@example.org\n" + message("lda-1"));
  EXPECT_EQ(copies_in(alice(), "lda-1"), 1U);
}

TEST_F(LmtpdSieveOutboundTest, LdaSendsVacationOncePerSender) {
  activate(alice_scripts(), kVacationScript);
  EXPECT_EQ(lda(message("lv1")).exit_code, EX_OK);
  EXPECT_EQ(lda(message("lv2")).exit_code, EX_OK);
  ASSERT_EQ(calls(), 1U);
  EXPECT_EQ(argv_of(1), "-i\n-f\n<>\n--\nsender@client.test\n");
  EXPECT_NE(stdin_of(1).find("\r\nIn-Reply-To: <lv1>\r\n"), std::string::npos) << stdin_of(1);
}

}  // namespace
}  // namespace letterbox::test
