// Who this process is, asked of the kernel as seldom as the answer can change. glibc no longer caches
// getpid() (since 2.25), and every Maildir name, lock file and temporary name carries the pid: a system
// call per delivery for a number that only fork() changes. Likewise "never deliver as root" asked
// geteuid() on every delivery, though once every uid is non-root and the process cannot set its uid,
// nothing it does can make it root again.
#pragma once

namespace letterbox {

// getpid(), asked once per process: refreshed in the child of every fork() (pthread_atfork), so a child
// never names its files with its parent's pid.
int process_id();

// Is the effective uid 0? Asked of the kernel on every call until the process can no longer become root
// (real, effective and saved uid all non-zero, and no CAP_SETUID to change them); from then on the answer
// "no" is cached. A process that can still come back to root (a saved uid of 0, as the tests have) keeps
// asking every time. (Only a user namespace Letterbox never enters could map it to uid 0 again, and
// that "root" would still write files as its unprivileged uid outside.)
bool running_as_root();

}  // namespace letterbox
