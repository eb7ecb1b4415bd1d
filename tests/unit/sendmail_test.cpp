// Sendmail against real children: small shell scripts stand in for the MTA's sendmail program and record
// what they were given, or fail in the ways that decide between a temporary and a permanent failure. How the
// child is run (descriptors, signals, the time limit) is run_program_test.cpp's subject.
#include "letterbox/mail/sendmail.hpp"

#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "script_directory.hpp"

namespace letterbox {
namespace {

using namespace std::chrono_literals;

class SendmailTest : public ::testing::Test {
 protected:
  std::string script(const std::string& name, const std::string& body) { return dir_.script(name, body); }
  std::string recorder() { return dir_.recorder(); }
  std::string read(const std::string& name) const { return dir_.read(name); }
  bool exists(const std::string& name) const { return dir_.exists(name); }

  test::ScriptDirectory dir_;
  const std::vector<std::string> one_rcpt_{"rcpt@example.org"};
};

TEST_F(SendmailTest, PassesSenderRecipientsAndTheExactMessage) {
  const Sendmail sendmail(recorder());
  const std::vector<std::string> rcpts{"a@example.org", "b+x@example.net"};
  const std::string message = "From: a@example.com\r\nSubject: hi\r\n\r\n.\r\nbody\r\n";
  const auto r = sendmail.submit("sender@example.com", rcpts, message);
  EXPECT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.error_output, "");
  EXPECT_EQ(read("argv"), "-i\n-f\nsender@example.com\n--\na@example.org\nb+x@example.net\n");
  EXPECT_EQ(read("stdin"), message);
}

TEST_F(SendmailTest, ArgumentsOfTheCommandComeBeforeLetterboxsOwn) {
  // As `[sieve] sendmail = /usr/sbin/sendmail -C /etc/postfix-out` names a second Postfix instance.
  const Sendmail sendmail(recorder() + "  -C\t/etc/postfix-out ");
  const auto r = sendmail.submit("", one_rcpt_, "Subject: x\n\nbody\n");
  EXPECT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(read("argv"), "-C\n/etc/postfix-out\n-i\n-f\n<>\n--\nrcpt@example.org\n");
  EXPECT_EQ(sendmail.program(), recorder());
}

TEST_F(SendmailTest, TheNullSenderIsPassedAsAngleBrackets) {
  const Sendmail sendmail(recorder());
  const auto r = sendmail.submit("", one_rcpt_, "Subject: x\n\nbody\n");
  EXPECT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(read("argv"), "-i\n-f\n<>\n--\nrcpt@example.org\n");
}

TEST_F(SendmailTest, PartsGoOneAfterTheOther) {
  // As a redirect sends them: its mark, then the original in pieces around the fields it leaves out.
  const Sendmail sendmail(recorder());
  const std::string_view parts[] = {"X-Sieve-Redirected-From: b@example.org\n", "Subject: x\n", "\nbody\n"};
  EXPECT_TRUE(sendmail.submit("s@example.com", one_rcpt_, parts).ok());
  EXPECT_EQ(read("stdin"), "X-Sieve-Redirected-From: b@example.org\nSubject: x\n\nbody\n");
}

TEST_F(SendmailTest, ExitStatus75IsATemporaryFailureWithTheFirstLineOfStderr) {
  const Sendmail sendmail(script(
      "tempfail", "cat >/dev/null\necho 'sendmail: fatal: queue file write error' >&2\necho more >&2\nexit 75\n"));
  const auto r = sendmail.submit("s@example.com", one_rcpt_, "Subject: x\n\nbody\n");
  EXPECT_EQ(r.status, SendmailStatus::temporary_failure);
  EXPECT_TRUE(r.temporary());
  EXPECT_EQ(r.exit_status, 75);
  EXPECT_EQ(r.error_output, "sendmail: fatal: queue file write error");
  EXPECT_NE(r.reason.find("exited with status 75 (temporary failure)"), std::string::npos) << r.reason;
}

TEST_F(SendmailTest, ExOserrIsTemporaryAndAnyOtherStatusPermanent) {
  const Sendmail oserr(script("oserr", "cat >/dev/null\nexit 71\n"));
  EXPECT_EQ(oserr.submit("s@example.com", one_rcpt_, "x\n").status, SendmailStatus::temporary_failure);
  const Sendmail usage(script("usage", "cat >/dev/null\necho 'sendmail: fatal: usage' >&2\nexit 64\n"));
  const auto r = usage.submit("s@example.com", one_rcpt_, "x\n");
  EXPECT_EQ(r.status, SendmailStatus::permanent_failure);
  EXPECT_EQ(r.exit_status, 64);
  EXPECT_EQ(r.error_output, "sendmail: fatal: usage");
  const Sendmail one(script("one", "cat >/dev/null\nexit 1\n"));
  EXPECT_EQ(one.submit("s@example.com", one_rcpt_, "x\n").status, SendmailStatus::permanent_failure);
}

TEST_F(SendmailTest, ATimeoutIsATemporaryFailure) {
  const Sendmail sendmail(script("hang", "echo started >&2\nexec sleep 30\n"), 300ms);
  const auto r = sendmail.submit("s@example.com", one_rcpt_, "Subject: x\n\nbody\n");
  EXPECT_EQ(r.status, SendmailStatus::temporary_failure);
  EXPECT_EQ(r.exit_status, -1);
  EXPECT_EQ(r.reason, dir_.path("hang") + " did not finish within 300ms and was killed");
  EXPECT_EQ(r.error_output, "started");
}

TEST_F(SendmailTest, ClosingStdinEarlyAndExitingZeroIsNotSent) {
  const Sendmail sendmail(script("early", "exec 0<&-\nsleep 0.2\nexit 0\n"));
  const std::string big(1 << 20, 'x');
  const auto r = sendmail.submit("s@example.com", one_rcpt_, big);
  EXPECT_EQ(r.status, SendmailStatus::temporary_failure);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_NE(r.reason.find("before reading the whole message"), std::string::npos) << r.reason;
}

TEST_F(SendmailTest, ClosingStdinEarlyAndFailingReportsTheFailure) {
  const Sendmail sendmail(script("early-fail", "head -c 10 >/dev/null\necho 'bad header' >&2\nexit 65\n"));
  const std::string big(1 << 20, 'x');
  const auto r = sendmail.submit("s@example.com", one_rcpt_, big);
  EXPECT_EQ(r.status, SendmailStatus::permanent_failure);
  EXPECT_EQ(r.exit_status, 65);
  EXPECT_EQ(r.error_output, "bad header");
}

TEST_F(SendmailTest, AProgramKilledByASignalIsATemporaryFailure) {
  const Sendmail sendmail(script("crash", "cat >/dev/null\nkill -SEGV $$\n"));
  const auto r = sendmail.submit("s@example.com", one_rcpt_, "x\n");
  EXPECT_EQ(r.status, SendmailStatus::temporary_failure);
  EXPECT_EQ(r.exit_status, -1);
  EXPECT_NE(r.reason.find("killed by signal 11"), std::string::npos) << r.reason;
}

TEST_F(SendmailTest, AMissingProgramIsATemporaryFailure) {
  const Sendmail sendmail(dir_.path("no-such-sendmail"));
  const auto r = sendmail.submit("s@example.com", one_rcpt_, "x\n");
  EXPECT_EQ(r.status, SendmailStatus::temporary_failure);
  EXPECT_EQ(r.exit_status, -1);
  EXPECT_NE(r.reason.find("cannot run"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("No such file"), std::string::npos) << r.reason;
}

TEST_F(SendmailTest, DangerousAddressesAreRefusedBeforeAnythingRuns) {
  const Sendmail sendmail(recorder());
  const std::vector<std::string> bad{
      "-oQ/tmp/x",       "a b@example.org",   "a\n@example.org",        "a@example.org,b@x.org",
      "<a@example.org>", "a@example.org (c)", std::string("a\0b@x", 5), ""};
  for (const auto& address : bad) {
    const std::vector<std::string> rcpts{"ok@example.org", address};
    const auto r = sendmail.submit("s@example.com", rcpts, "x\n");
    EXPECT_EQ(r.status, SendmailStatus::permanent_failure) << address;
    EXPECT_NE(r.reason.find("refused"), std::string::npos) << r.reason;
    if (address.empty()) continue;  // the null sender
    EXPECT_EQ(sendmail.submit(address, one_rcpt_, "x\n").status, SendmailStatus::permanent_failure) << address;
  }
  EXPECT_FALSE(exists("argv"));
  EXPECT_EQ(sendmail.submit("s@example.com", {}, "x\n").status, SendmailStatus::permanent_failure);
  EXPECT_FALSE(exists("argv"));
}

TEST(SendmailAddressProblem, SaysWhy) {
  EXPECT_EQ(sendmail_address_problem("user+tag@example.org"), "");
  EXPECT_EQ(sendmail_address_problem("user@[192.0.2.1]"), "");
  EXPECT_EQ(sendmail_address_problem("", true), "");
  EXPECT_EQ(sendmail_address_problem(""), "the address is empty");
  EXPECT_EQ(sendmail_address_problem("-bv"), "the address starts with '-' (it would be read as an option)");
  EXPECT_EQ(sendmail_address_problem("a\tb@x"), "the address holds a control character");
  EXPECT_EQ(sendmail_address_problem("a\x7f@x"), "the address holds a control character");
  EXPECT_EQ(sendmail_address_problem("a b@x"), "the address holds a space");
  EXPECT_EQ(sendmail_address_problem("a,b@x"), "the address holds ',' (the program would read it as an address list)");
}

// Postfix's own sendmail takes the argv: `-f <>` is the null sender, both recipients are in the envelope,
// and with -i a lone "." is text. It runs against a private queue directory (MAIL_CONFIG), whose maildrop
// postdrop writes to and no Postfix reads, so nothing is delivered. Needs Postfix and root (to give the
// maildrop to postfix:postdrop as Postfix requires); skipped otherwise.
TEST_F(SendmailTest, PostfixSendmailTakesTheArguments) {
  const passwd* postfix = ::getpwnam("postfix");
  const group* postdrop = ::getgrnam("postdrop");
  if (::geteuid() != 0 || postfix == nullptr || postdrop == nullptr || ::access("/usr/sbin/sendmail", X_OK) != 0 ||
      ::access("/usr/sbin/postcat", X_OK) != 0) {
    GTEST_SKIP() << "needs root and Postfix";
  }
  const auto config = dir_.path("postfix");
  for (const auto* sub : {"", "/queue", "/queue/maildrop", "/queue/public", "/data"}) {
    std::filesystem::create_directory(config + sub);
  }
  {
    std::ofstream main_cf(config + "/main.cf");
    main_cf << "queue_directory = " << config << "/queue\ndata_directory = " << config
            << "/data\ncompatibility_level = 3.6\n";
  }
  ASSERT_EQ(::chown((config + "/queue/maildrop").c_str(), postfix->pw_uid, postdrop->gr_gid), 0);
  ASSERT_EQ(::chown((config + "/queue/public").c_str(), postfix->pw_uid, postdrop->gr_gid), 0);
  ::chmod((config + "/queue/maildrop").c_str(), 01730);
  ::chmod((config + "/queue/public").c_str(), 0710);

  ::setenv("MAIL_CONFIG", config.c_str(), 1);
  const Sendmail sendmail("/usr/sbin/sendmail");
  const std::vector<std::string> rcpts{"a@example.org", "b@example.org"};
  const auto r = sendmail.submit("", rcpts, "Subject: probe\r\n\r\n.\r\nbody\r\n");
  ::unsetenv("MAIL_CONFIG");
  ASSERT_TRUE(r.ok()) << r.reason << ": " << r.error_output;

  std::vector<std::filesystem::path> queued;
  for (const auto& entry : std::filesystem::directory_iterator(config + "/queue/maildrop")) queued.push_back(entry);
  ASSERT_EQ(queued.size(), 1u);
  const std::string command = "/usr/sbin/postcat -c " + config + " " + queued.front().string() + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string text;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
  ::pclose(pipe);
  EXPECT_NE(text.find("\nsender: \nrecipient: a@example.org\nrecipient: b@example.org\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nSubject: probe\n\n.\nbody\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace letterbox
