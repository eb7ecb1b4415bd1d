// run_program against real children: shell scripts that record what they got, or misbehave (hang, start
// children of their own, close their input early, flood stderr, crash), and a caller in awkward states
// (stray descriptors, a closed stdin, SIGPIPE at its default).
#include "letterbox/util/run_program.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "script_directory.hpp"

namespace letterbox {
namespace {

using namespace std::chrono_literals;
using End = ProgramResult::End;

class RunProgram : public ::testing::Test {
 protected:
  ProgramResult run(const std::string& program, std::string_view input, std::chrono::milliseconds timeout = 10s,
                    std::vector<std::string> args = {}) {
    args.insert(args.begin(), program);
    const std::string_view parts[] = {input};
    return run_program(args, parts, timeout);
  }

  test::ScriptDirectory dir_;
};

TEST_F(RunProgram, ArgumentsGoAsTheyAreWithoutAShell) {
  const std::vector<std::string> args{dir_.recorder(), "$HOME", "a b", "*", "; rm -rf /", "`id`", ""};
  const std::string_view parts[] = {"x"};
  const auto r = run_program(args, parts, 10s);
  EXPECT_EQ(r.end, End::exited);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_TRUE(r.input_complete);
  EXPECT_EQ(dir_.read("argv"), "$HOME\na b\n*\n; rm -rf /\n`id`\n\n");
}

TEST_F(RunProgram, PartsAreWrittenInOrderPastThePipeBuffer) {
  // Larger than a pipe's buffer (64 KiB), so that writing waits for the program to read.
  std::string big;
  for (int i = 0; big.size() < 300'000; ++i) big += "line " + std::to_string(i) + "\r\n";
  const std::string mark = "X-Mark: yes\r\n";
  const std::string_view parts[] = {mark, "", big, ""};
  const std::vector<std::string> args{dir_.recorder()};
  const auto r = run_program(args, parts, 10s);
  EXPECT_EQ(r.end, End::exited);
  EXPECT_TRUE(r.input_complete);
  EXPECT_EQ(dir_.read("stdin"), mark + big);
}

TEST_F(RunProgram, AnEmptyInputIsAnEmptyStdin) {
  const auto r = run(dir_.recorder(), "");
  EXPECT_EQ(r.end, End::exited);
  EXPECT_TRUE(r.input_complete);
  EXPECT_TRUE(dir_.exists("stdin"));
  EXPECT_EQ(dir_.read("stdin"), "");
}

TEST_F(RunProgram, AHangingProgramIsKilledWithWhatItStartedAtTheTimeout) {
  const auto hang = dir_.script("hang", "sleep 30 &\necho $! > @DIR@/pid\necho started >&2\nwait\n");
  const auto start = std::chrono::steady_clock::now();
  const auto r = run(hang, "x\n", 500ms);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.end, End::timed_out);
  EXPECT_EQ(r.error_output, "started\n");
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 5s);
  // The backgrounded sleep was in the program's process group: killed too (gone, or a zombie until its new
  // parent reaps it).
  const std::string text = dir_.read("pid");
  const std::string pid = text.substr(0, text.find('\n'));
  ASSERT_FALSE(pid.empty());
  for (int i = 0; i < 100; ++i) {
    std::ifstream stat("/proc/" + pid + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto close_paren = line.rfind(')');
    if (!stat || (close_paren != std::string::npos && line.substr(close_paren + 2, 1) == "Z")) return;
    std::this_thread::sleep_for(10ms);
  }
  ADD_FAILURE() << "the program's child " << pid << " is still running";
}

TEST_F(RunProgram, AProgramThatDoesNotReadItsInputStillTimesOut) {
  // It neither reads nor exits: the write side waits on a full pipe, and the deadline still holds.
  const auto r = run(dir_.script("stuck", "exec sleep 30\n"), std::string(1 << 20, 'x'), 300ms);
  EXPECT_EQ(r.end, End::timed_out);
  EXPECT_FALSE(r.input_complete);
}

TEST_F(RunProgram, AProgramThatClosesItsInputEarlyDidNotReadItAll) {
  const auto r = run(dir_.script("early", "exec 0<&-\nsleep 0.2\nexit 0\n"), std::string(1 << 20, 'x'));
  EXPECT_EQ(r.end, End::exited);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_FALSE(r.input_complete);
}

TEST_F(RunProgram, StderrPastTheLimitIsReadAndDropped) {
  // 200 kB on stderr before reading stdin: were stderr not drained, the program would block on it.
  const auto flood = dir_.script("flood", "head -c 200000 /dev/zero | tr '\\000' e >&2\ncat >/dev/null\nexit 3\n");
  const auto r = run(flood, std::string(100'000, 'x'));
  EXPECT_EQ(r.end, End::exited);
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_TRUE(r.input_complete);
  EXPECT_EQ(r.error_output, std::string(ProgramResult::kMaxErrorOutput, 'e'));
}

TEST_F(RunProgram, ASignalEndsIt) {
  const auto r = run(dir_.script("crash", "cat >/dev/null\nkill -SEGV $$\n"), "x\n");
  EXPECT_EQ(r.end, End::killed_by_signal);
  EXPECT_EQ(r.signal, SIGSEGV);
}

TEST_F(RunProgram, AMissingProgramDoesNotStart) {
  const auto r = run(dir_.path("no-such-program"), "x\n");
  EXPECT_EQ(r.end, End::not_started);
  EXPECT_NE(r.problem.find("cannot run " + dir_.path("no-such-program") + ": No such file"), std::string::npos)
      << r.problem;
  EXPECT_EQ(run_program({}, {}, 1s).end, End::not_started);
}

TEST_F(RunProgram, TheChildSeesOnlyItsOwnDescriptorsAndADevNullStdout) {
  // A descriptor the caller holds without close-on-exec (another thread's mailbox, say) must not leak.
  const int leaked = ::fcntl(::open("/dev/null", O_RDONLY), F_DUPFD, 57);
  ASSERT_GE(leaked, 57);
  // $(...) so that the shell's own descriptor 1 is read, not one redirected for readlink.
  const auto fds = dir_.script("fds",
                               "cat >/dev/null\necho noise\nls /proc/$$/fd > @DIR@/fds\nout=$(readlink /proc/$$/fd/1)\n"
                               "echo \"$out\" > @DIR@/stdout\n");
  const auto r = run(fds, "x\n");
  ::close(leaked);
  EXPECT_EQ(r.end, End::exited);
  EXPECT_EQ(dir_.read("stdout"), "/dev/null\n");
  std::istringstream listed(dir_.read("fds"));
  for (std::string fd; std::getline(listed, fd);) EXPECT_NE(fd, std::to_string(leaked));
}

TEST_F(RunProgram, WorksWhenTheCallersStdinIsClosed) {
  // pipe() then hands out descriptor 0, which must not be overwritten in the child.
  const int saved = ::dup(0);
  ASSERT_GE(saved, 0);
  ::close(0);
  const auto r = run(dir_.recorder(), "Subject: x\n\nbody\n");
  ::dup2(saved, 0);
  ::close(saved);
  EXPECT_EQ(r.end, End::exited);
  EXPECT_TRUE(r.input_complete);
  EXPECT_EQ(dir_.read("stdin"), "Subject: x\n\nbody\n");
}

TEST_F(RunProgram, ALostSigpipeNeverKillsTheCaller) {
  // SIGPIPE at its default (a library cannot count on the program ignoring it): a program that closes its
  // input makes the write fail with EPIPE, and the caller lives on, with no SIGPIPE left pending.
  struct sigaction old {};
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, &old);
  const auto r = run(dir_.script("early", "exec 0<&-\nsleep 0.2\nexit 75\n"), std::string(1 << 20, 'x'));
  sigset_t pending;
  sigpending(&pending);
  ::sigaction(SIGPIPE, &old, nullptr);
  EXPECT_EQ(r.end, End::exited);
  EXPECT_EQ(r.exit_status, 75);
  EXPECT_FALSE(r.input_complete);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

TEST_F(RunProgram, TheChildHasDefaultSignalsWhateverTheCallerIgnoresOrBlocks) {
  struct sigaction old {};
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGTERM, &ignore, &old);
  sigset_t term, old_mask;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old_mask);
  const auto r = run(dir_.script("term", "cat >/dev/null\nkill -TERM $$\nsleep 5\n"), "x\n");
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGTERM, &old, nullptr);
  EXPECT_EQ(r.end, End::killed_by_signal);
  EXPECT_EQ(r.signal, SIGTERM);
}

}  // namespace
}  // namespace letterbox
