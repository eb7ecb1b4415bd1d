#include "privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>

#include "die.hpp"

namespace letterbox::test {

namespace {

bool g_started_as_root = false;
uid_t g_uid = 0;

}  // namespace

void become_unprivileged() {
  if (geteuid() != 0) return;
  g_started_as_root = true;
  const passwd* pw = getpwnam("nobody");
  const uid_t uid = pw != nullptr ? pw->pw_uid : 65534;
  const gid_t gid = pw != nullptr ? pw->pw_gid : 65534;
  g_uid = uid;
  if (setgroups(1, &gid) != 0 || setresgid(gid, gid, 0) != 0 || setresuid(uid, uid, 0) != 0) {
    die("cannot become nobody");
  }
  // A process that changed its uid is made non-dumpable, and LeakSanitizer cannot inspect a
  // non-dumpable process at exit.
  prctl(PR_SET_DUMPABLE, 1);
  // Children of this process must not find root's home or pyenv shims.
  setenv("HOME", "/tmp", 1);
  setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
}

bool started_as_root() {
  return g_started_as_root;
}

void give_up_root() {
  if (!g_started_as_root) return;
  const gid_t gid = getgid();
  if (setresgid(gid, gid, gid) != 0 || setresuid(g_uid, g_uid, g_uid) != 0) die("cannot give up the saved root ids");
  prctl(PR_SET_DUMPABLE, 1);
  g_started_as_root = false;
}

RootScope::RootScope() {
  if (g_started_as_root && seteuid(0) != 0) die("seteuid(0)");
}
RootScope::~RootScope() {
  // Going on as root would run the rest of the tests with privileges they must not have.
  if (g_started_as_root && seteuid(g_uid) != 0) die("seteuid back to the test user");
}

TmpfsMount::TmpfsMount(std::filesystem::path where, const std::string& size) : where_(std::move(where)) {
  std::filesystem::create_directories(where_);
  const uid_t uid = getuid();
  const gid_t gid = getgid();
  RootScope root;
  if (mount("tmpfs", where_.c_str(), "tmpfs", 0, ("size=" + size + ",mode=0755").c_str()) != 0) {
    die("mount a tmpfs on " + where_.string());
  }
  if (chown(where_.c_str(), uid, gid) != 0) die("chown " + where_.string());
}

TmpfsMount::~TmpfsMount() {
  RootScope root;
  umount2(where_.c_str(), MNT_DETACH);
}

}  // namespace letterbox::test
