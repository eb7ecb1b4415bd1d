#include "letterbox/util/process_identity.hpp"

#include <linux/capability.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

namespace letterbox {
namespace {

// 0: not asked yet. A pid is never 0 for a process, so no separate "cached" flag is needed.
std::atomic<int> g_pid{0};
std::atomic<bool> g_never_root{false};
// Every uid was non-root at an earlier call. The capability check waits for a second such call, so that
// a process that delivers once (letterbox-lda) asks no more than the one getresuid() it needs anyway.
std::atomic<bool> g_seen_unprivileged{false};

void forget_pid_in_child() {
  // The child is single-threaded here, but a relaxed store costs nothing and keeps the accesses atomic.
  g_pid.store(0, std::memory_order_relaxed);
}

void register_fork_handler() {
  static const int registered = pthread_atfork(nullptr, nullptr, forget_pid_in_child);
  (void)registered;
}

// CAP_SETUID in the permitted set would let the process raise it and setuid(0) even with every uid
// non-zero (a process that kept its capabilities across the switch): then the answer could still change.
bool can_set_uid() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return true;  // unknown: assume it can, and keep asking
  return (data[CAP_TO_INDEX(CAP_SETUID)].permitted & CAP_TO_MASK(CAP_SETUID)) != 0;
}

}  // namespace

int process_id() {
  int pid = g_pid.load(std::memory_order_relaxed);
  if (pid != 0) return pid;
  // Registered before the pid is cached: a fork() after this point always clears it in the child.
  register_fork_handler();
  pid = static_cast<int>(::getpid());
  g_pid.store(pid, std::memory_order_relaxed);
  return pid;
}

bool running_as_root() {
  if (g_never_root.load(std::memory_order_relaxed)) return false;
  uid_t real = 0;
  uid_t effective = 0;
  uid_t saved = 0;
  if (::getresuid(&real, &effective, &saved) != 0) return true;  // cannot tell: refuse, as for root
  if (effective == 0) return true;
  if (real != 0 && saved != 0) {
    if (g_seen_unprivileged.exchange(true, std::memory_order_relaxed) && !can_set_uid()) {
      g_never_root.store(true, std::memory_order_relaxed);
    }
  }
  return false;
}

}  // namespace letterbox
