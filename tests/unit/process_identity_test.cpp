// process_id() and running_as_root(): asked of the kernel once where the answer cannot change, and
// asked again where it can (a forked child; a process that can still come back to root).
#include "letterbox/util/process_identity.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "test_support.hpp"

using namespace letterbox;

namespace {

// Runs `child` in a forked child and returns its exit status (0..255), or -1 if it did not exit.
template <class F>
int in_child(F child) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(child());
  if (pid < 0) return -1;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace

TEST(ProcessIdentity, ProcessIdIsGetpid) {
  EXPECT_EQ(process_id(), ::getpid());
  EXPECT_EQ(process_id(), ::getpid());  // the cached answer
}

TEST(ProcessIdentity, ThreadsShareTheProcessId) {
  std::vector<int> seen(8, 0);
  std::vector<std::thread> threads;
  for (auto& s : seen) threads.emplace_back([&s] { s = process_id(); });
  for (auto& t : threads) t.join();
  for (const int s : seen) EXPECT_EQ(s, ::getpid());
}

// The parent cached its pid before the fork: the child must not name its files with it.
TEST(ProcessIdentity, AForkedChildHasItsOwnProcessId) {
  const int parent = process_id();
  ASSERT_EQ(parent, ::getpid());
  EXPECT_EQ(in_child([parent] {
              if (process_id() == parent) return 1;
              if (process_id() != ::getpid()) return 2;
              // and a grandchild of a child that cached its own pid in turn
              const int child = process_id();
              const pid_t pid = ::fork();
              if (pid == 0) ::_exit(process_id() == ::getpid() && process_id() != child ? 0 : 3);
              int status = 0;
              if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 4;
              return WEXITSTATUS(status);
            }),
            0);
  EXPECT_EQ(process_id(), parent);
}

TEST(ProcessIdentity, RunningAsRootIsTheEffectiveUid) {
  EXPECT_EQ(running_as_root(), ::geteuid() == 0);
  EXPECT_EQ(running_as_root(), ::geteuid() == 0);
}

// The tests keep root as their saved uid: such a process can become root again at any moment, so the
// answer must never be cached as "not root" (Letterbox refuses to deliver as root).
TEST(ProcessIdentity, AProcessThatCanBecomeRootAgainIsAskedEveryTime) {
  if (!test::started_as_root()) GTEST_SKIP() << "needs a saved uid of root";
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(running_as_root());
    {
      test::RootScope root;
      EXPECT_TRUE(running_as_root());
    }
    EXPECT_FALSE(running_as_root());
  }
}

// Once every uid is non-root (and no capability can change that), "not root" is cached; a child that
// still has root is unaffected by its parent's state, and the other way round.
TEST(ProcessIdentity, AProcessThatCannotBecomeRootAgainStaysNotRoot) {
  if (!test::started_as_root()) GTEST_SKIP() << "needs root to give up";
  EXPECT_EQ(in_child([] {
              const uid_t uid = ::getuid();
              if (uid == 0) return 1;
              if (::setresuid(uid, uid, uid) != 0) return 2;
              if (running_as_root() || running_as_root()) return 3;
              if (::setuid(0) == 0) return 4;  // no way back: the cached answer holds
              return running_as_root() ? 5 : 0;
            }),
            0);
  test::RootScope root;
  EXPECT_TRUE(running_as_root());
}
