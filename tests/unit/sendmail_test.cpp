// Sendmail against real children: small shell scripts stand in for the MTA's sendmail program and record
// what they were given, or misbehave (fail, hang, close their input early).
#include "letterbox/mail/sendmail.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace letterbox {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class SendmailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "letterbox-sendmail-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // An executable script `name` in the test directory; "@DIR@" in `body` becomes that directory.
  std::string script(const std::string& name, std::string body) {
    for (auto at = body.find("@DIR@"); at != std::string::npos; at = body.find("@DIR@")) {
      body.replace(at, 5, dir_.string());
    }
    const auto path = (dir_ / name).string();
    std::ofstream(path) << "#!/bin/sh\n" << body;
    ::chmod(path.c_str(), 0755);
    return path;
  }

  std::string recorder() { return script("record", "printf '%s\\n' \"$@\" > @DIR@/argv\ncat > @DIR@/stdin\n"); }

  std::string read(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  bool exists(const std::string& name) const { return fs::exists(dir_ / name); }

  fs::path dir_;
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

TEST_F(SendmailTest, TheNullSenderIsPassedAsAngleBrackets) {
  const Sendmail sendmail(recorder());
  const auto r = sendmail.submit("", one_rcpt_, "Subject: x\n\nbody\n");
  EXPECT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(read("argv"), "-i\n-f\n<>\n--\nrcpt@example.org\n");
}

TEST_F(SendmailTest, PartsAreWrittenInOrderPastThePipeBuffer) {
  const Sendmail sendmail(recorder());
  // Larger than a pipe's buffer (64 KiB), so that writing waits for the program to read.
  std::string big;
  for (int i = 0; big.size() < 300'000; ++i) big += "line " + std::to_string(i) + "\r\n";
  const std::string mark = "X-Mark: yes\r\n";
  const std::string_view parts[] = {mark, "", big, ""};
  const auto r = sendmail.submit("s@example.com", one_rcpt_, parts);
  EXPECT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(read("stdin"), mark + big);
}

TEST_F(SendmailTest, AnEmptyMessageIsAnEmptyInput) {
  const Sendmail sendmail(recorder());
  const auto r = sendmail.submit("s@example.com", one_rcpt_, "");
  EXPECT_TRUE(r.ok()) << r.reason;
  EXPECT_TRUE(exists("stdin"));
  EXPECT_EQ(read("stdin"), "");
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

TEST_F(SendmailTest, AHangingProgramIsKilledWithWhatItStartedAtTheTimeout) {
  const Sendmail sendmail(script("hang", "sleep 30 &\necho $! > @DIR@/pid\necho started >&2\nwait\n"), 500ms);
  const auto start = std::chrono::steady_clock::now();
  const auto r = sendmail.submit("s@example.com", one_rcpt_, "Subject: x\n\nbody\n");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, SendmailStatus::temporary_failure);
  EXPECT_EQ(r.exit_status, -1);
  EXPECT_NE(r.reason.find("did not finish within 500ms"), std::string::npos) << r.reason;
  EXPECT_EQ(r.error_output, "started");
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 5s);
  // The backgrounded sleep was in the program's process group: killed too (gone, or a zombie until its new
  // parent reaps it).
  const std::string pid = read("pid").substr(0, read("pid").find('\n'));
  ASSERT_FALSE(pid.empty());
  for (int i = 0; i < 100; ++i) {
    std::ifstream stat("/proc/" + pid + "/stat");
    std::string text;
    std::getline(stat, text);
    const auto close_paren = text.rfind(')');
    if (!stat || (close_paren != std::string::npos && text.substr(close_paren + 2, 1) == "Z")) return;
    std::this_thread::sleep_for(10ms);
  }
  ADD_FAILURE() << "the program's child " << pid << " is still running";
}

TEST_F(SendmailTest, AProgramThatDoesNotReadItsInputStillTimesOut) {
  // It neither reads nor exits: the write side waits on a full pipe, and the deadline still holds.
  const Sendmail sendmail(script("stuck", "exec sleep 30\n"), 300ms);
  const std::string big(1 << 20, 'x');
  const auto r = sendmail.submit("s@example.com", one_rcpt_, big);
  EXPECT_EQ(r.status, SendmailStatus::temporary_failure);
  EXPECT_NE(r.reason.find("did not finish"), std::string::npos) << r.reason;
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
  const Sendmail sendmail((dir_ / "no-such-sendmail").string());
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

TEST_F(SendmailTest, TheChildSeesOnlyItsOwnDescriptorsAndADevNullStdout) {
  // A descriptor the caller holds without close-on-exec (another thread's mailbox, say) must not leak.
  const int leaked = ::fcntl(::open("/dev/null", O_RDONLY), F_DUPFD, 57);
  ASSERT_GE(leaked, 57);
  const Sendmail sendmail(script("fds",
                                 "cat >/dev/null\necho noise\nls /proc/$$/fd > @DIR@/fds\nout=$(readlink "
                                 "/proc/$$/fd/1)\necho \"$out\" > @DIR@/stdout\n"));
  const auto r = sendmail.submit("s@example.com", one_rcpt_, "x\n");
  ::close(leaked);
  EXPECT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(read("stdout"), "/dev/null\n");
  std::istringstream fds(read("fds"));
  for (std::string fd; std::getline(fds, fd);) EXPECT_NE(fd, std::to_string(leaked));
}

TEST_F(SendmailTest, WorksWhenTheCallersStdinIsClosed) {
  // pipe() then hands out descriptor 0, which must not be overwritten in the child.
  const int saved = ::dup(0);
  ASSERT_GE(saved, 0);
  ::close(0);
  const Sendmail sendmail(recorder());
  const auto r = sendmail.submit("s@example.com", one_rcpt_, "Subject: x\n\nbody\n");
  ::dup2(saved, 0);
  ::close(saved);
  EXPECT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(read("stdin"), "Subject: x\n\nbody\n");
}

TEST_F(SendmailTest, ALostSigpipeNeverKillsTheCaller) {
  // SIGPIPE at its default (a library cannot count on the program ignoring it): a program that closes its
  // input makes the write fail with EPIPE, and the caller lives on.
  struct sigaction old {};
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, &old);
  const Sendmail sendmail(script("early", "exec 0<&-\nsleep 0.2\nexit 75\n"));
  const auto r = sendmail.submit("s@example.com", one_rcpt_, std::string(1 << 20, 'x'));
  ::sigaction(SIGPIPE, &old, nullptr);
  EXPECT_EQ(r.status, SendmailStatus::temporary_failure);
  EXPECT_EQ(r.exit_status, 75);
}

}  // namespace
}  // namespace letterbox
