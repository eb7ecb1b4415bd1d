// run_program (letterbox/util/run_program.hpp).
#include "letterbox/util/run_program.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "letterbox/util/unique_fd.hpp"

extern char** environ;

namespace letterbox {

namespace {

using Clock = std::chrono::steady_clock;

// Without a pidfd (a kernel before 5.3) the exit is noticed by asking this often.
constexpr int kExitPollMilliseconds = 20;

std::string errno_text(int err) {
  return std::strerror(err);
}

// A descriptor above 2: with the caller's stdin, stdout or stderr closed, pipe() may hand out 0, 1 or 2; lifted,
// no dup2 onto 0, 1 or 2 in the child can overwrite an end still to be used, whatever the order of the actions.
bool lift_above_standard(UniqueFd& fd) {
  if (fd.get() > 2) return true;
  const int lifted = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (lifted < 0) return false;
  fd = UniqueFd(lifted);
  return true;
}

struct Pipe {
  UniqueFd read_end, write_end;
};

// A close-on-exec pipe whose ends are above 2; errno on failure.
std::optional<Pipe> make_pipe(int& err) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    err = errno;
    return std::nullopt;
  }
  Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
  if (!lift_above_standard(p.read_end) || !lift_above_standard(p.write_end)) {
    err = errno;
    return std::nullopt;
  }
  return p;
}

// The spawned program and everything it started (it leads its own process group): killed and reaped on
// every way out of run_program() that did not reap it already, so no child outlives the call or stays a zombie.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (reaped_) return;
    kill_all();
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }

  bool reaped() const { return reaped_; }
  // The wait status; only when reaped and not lost.
  int status() const { return status_; }
  // waitpid said ECHILD: something else in this process reaped it (SIGCHLD set to SIG_IGN, say).
  bool lost() const { return lost_; }

  // Kills the group, so that a grandchild (Postfix's postdrop) does not linger holding the pipes open.
  void kill_all() const {
    (void)::kill(-pid_, SIGKILL);
    (void)::kill(pid_, SIGKILL);  // in case it could not become a group leader
  }

  // True once the program has exited and been reaped; never blocks.
  bool try_reap() {
    if (reaped_) return true;
    int status = 0;
    pid_t r;
    while ((r = ::waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
    }
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      reaped_ = true;
      lost_ = r != pid_;
      status_ = status;
    }
    return reaped_;
  }

  void reap_blocking() {
    if (reaped_) return;
    int status = 0;
    pid_t r;
    while ((r = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    lost_ = r != pid_;
    status_ = status;
  }

 private:
  pid_t pid_;
  bool reaped_ = false;
  bool lost_ = false;
  int status_ = 0;
};

// A write to a pipe whose reader is gone raises SIGPIPE, which would kill a process that did not ignore it.
// The programs ignore it, but a library must not count on that: SIGPIPE is blocked in this thread while
// run_program() writes, and one it raised is taken off the pending set before the old mask comes back.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_only, &old_) == 0;
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  ~SigpipeBlock() {
    if (!blocked_) return;
    if (!was_pending_) {
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      const timespec none{0, 0};
      while (sigtimedwait(&pipe_only, nullptr, &none) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_{};
  bool was_pending_ = false;
  bool blocked_ = false;
};

// posix_spawn's attributes and file actions, destroyed on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    ok_ = posix_spawn_file_actions_init(&actions_) == 0;
    attr_ok_ = posix_spawnattr_init(&attr_) == 0;
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    if (ok_) posix_spawn_file_actions_destroy(&actions_);
    if (attr_ok_) posix_spawnattr_destroy(&attr_);
  }

  // 0 or an errno value.
  int prepare(int stdin_fd, int stderr_fd) {
    if (!ok_ || !attr_ok_) return ENOMEM;
    int err = 0;
    // Every descriptor is above 2 (lift_above_standard), so the order of these does not matter.
    if ((err = posix_spawn_file_actions_adddup2(&actions_, stdin_fd, 0)) != 0) return err;
    if ((err = posix_spawn_file_actions_addopen(&actions_, 1, "/dev/null", O_WRONLY, 0)) != 0) return err;
    if ((err = posix_spawn_file_actions_adddup2(&actions_, stderr_fd, 2)) != 0) return err;
    // A descriptor another thread opened without O_CLOEXEC (a mailbox, a client's socket) must not leak
    // into the MTA, nor keep a connection open after this process closes it.
    if ((err = posix_spawn_file_actions_addclosefrom_np(&actions_, 3)) != 0) return err;
    // The daemons ignore SIGPIPE and may block signals in their threads; an ignored or blocked signal would
    // be inherited across exec, and the MTA's program expects the defaults.
    sigset_t all;
    sigfillset(&all);
    sigset_t none;
    sigemptyset(&none);
    if ((err = posix_spawnattr_setsigdefault(&attr_, &all)) != 0) return err;
    if ((err = posix_spawnattr_setsigmask(&attr_, &none)) != 0) return err;
    // Its own process group, so that a timeout kills what it started too.
    if ((err = posix_spawnattr_setpgroup(&attr_, 0)) != 0) return err;
    const short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP;
    return posix_spawnattr_setflags(&attr_, flags);
  }

  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attr() const { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_{};
  posix_spawnattr_t attr_{};
  bool ok_ = false;
  bool attr_ok_ = false;
};

// The input, written to the child's stdin as fast as it reads it (the pipe is non-blocking, so a program that
// stops reading never stalls the wait for the deadline); the pipe is closed at the end, which is the
// program's end of file, or when the program closed its side.
class InputWriter {
 public:
  InputWriter(UniqueFd fd, std::span<const std::string_view> parts) : fd_(std::move(fd)), parts_(parts) {
    (void)::fcntl(fd_.get(), F_SETFL, O_NONBLOCK);
    skip_written_parts();
  }

  int fd() const { return fd_.get(); }
  bool open() const { return fd_.valid(); }
  // Every byte was written and the pipe closed after them.
  bool complete() const { return !fd_.valid() && !refused_; }

  // Writes what the pipe takes now.
  void write_ready() {
    while (fd_.valid()) {
      const auto& piece = parts_[part_];
      const ssize_t n = ::write(fd_.get(), piece.data() + offset_, piece.size() - offset_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n < 0) {  // EPIPE: the program closed its stdin
        refused_ = true;
        fd_.reset();
        return;
      }
      offset_ += static_cast<std::size_t>(n);
      skip_written_parts();
    }
  }

 private:
  void skip_written_parts() {
    while (part_ < parts_.size() && offset_ == parts_[part_].size()) {
      ++part_;
      offset_ = 0;
    }
    if (part_ == parts_.size()) fd_.reset();
  }

  UniqueFd fd_;
  std::span<const std::string_view> parts_;
  std::size_t part_ = 0;
  std::size_t offset_ = 0;
  bool refused_ = false;
};

// The child's stderr as it comes: the first kMaxErrorOutput bytes kept, the rest read and dropped, so that
// a chatty program never blocks on a full pipe.
class ErrorReader {
 public:
  explicit ErrorReader(UniqueFd fd) : fd_(std::move(fd)) { (void)::fcntl(fd_.get(), F_SETFL, O_NONBLOCK); }

  int fd() const { return fd_.get(); }
  bool open() const { return fd_.valid(); }
  std::string take() { return std::move(text_); }

  // Reads what is there now; closes the pipe at its end.
  void read_ready() {
    char buffer[4096];
    while (fd_.valid()) {
      const ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {
        fd_.reset();
        return;
      }
      const auto room = ProgramResult::kMaxErrorOutput - std::min(ProgramResult::kMaxErrorOutput, text_.size());
      text_.append(buffer, std::min(room, static_cast<std::size_t>(n)));
    }
  }

 private:
  UniqueFd fd_;
  std::string text_;
};

ProgramResult not_started(std::string problem) {
  ProgramResult r;
  r.end = ProgramResult::End::not_started;
  r.problem = std::move(problem);
  return r;
}

}  // namespace

ProgramResult run_program(std::span<const std::string> argv, std::span<const std::string_view> input,
                          std::chrono::milliseconds timeout) {
  if (argv.empty()) return not_started("no program");
  std::vector<const char*> args;
  for (const auto& arg : argv) args.push_back(arg.c_str());
  args.push_back(nullptr);
  const std::string& program = argv.front();
  // glibc's posix_spawn reports a failed exec as its result, but where it is emulated by fork and exec
  // (valgrind, some libcs) the child just exits 127, which reads like the program's own failure. Asking
  // first names the cause everywhere; the spawn below still reports a program that vanishes in between.
  // AT_EACCESS: as the effective user, who will run it.
  if (::faccessat(AT_FDCWD, program.c_str(), X_OK, AT_EACCESS) != 0) {
    return not_started("cannot run " + program + ": " + errno_text(errno));
  }

  int err = 0;
  auto stdin_pipe = make_pipe(err);
  if (!stdin_pipe) return not_started("cannot make a pipe: " + errno_text(err));
  auto stderr_pipe = make_pipe(err);
  if (!stderr_pipe) return not_started("cannot make a pipe: " + errno_text(err));

  SpawnSetup setup;
  if ((err = setup.prepare(stdin_pipe->read_end.get(), stderr_pipe->write_end.get())) != 0) {
    return not_started("cannot run " + program + ": " + errno_text(err));
  }
  pid_t pid = -1;
  // posix_spawn, not fork: the daemons are multi-threaded, and it copies no page tables.
  err = ::posix_spawn(&pid, program.c_str(), setup.actions(), setup.attr(), const_cast<char* const*>(args.data()),
                      environ);
  if (err != 0) return not_started("cannot run " + program + ": " + errno_text(err));
  Child child(pid);
  const auto deadline = Clock::now() + timeout;
  stdin_pipe->read_end.reset();
  stderr_pipe->write_end.reset();
  SigpipeBlock no_sigpipe;
  InputWriter to_child(std::move(stdin_pipe->write_end), input);
  ErrorReader from_child(std::move(stderr_pipe->read_end));
  // Readable when the child exits; absent on old kernels (then its exit is asked for every few
  // milliseconds). Through syscall(): glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage.
  UniqueFd exit_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  bool timed_out = false;
  while (!child.reaped()) {
    const auto now = Clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    pollfd fds[3];
    nfds_t count = 0;
    int input_slot = -1, errors_slot = -1, exit_slot = -1;
    if (to_child.open()) {
      input_slot = static_cast<int>(count);
      fds[count++] = {to_child.fd(), POLLOUT, 0};
    }
    if (from_child.open()) {
      errors_slot = static_cast<int>(count);
      fds[count++] = {from_child.fd(), POLLIN, 0};
    }
    if (exit_fd) {
      exit_slot = static_cast<int>(count);
      fds[count++] = {exit_fd.get(), POLLIN, 0};
    }
    const int wait_ms = static_cast<int>(std::min<long long>(left, exit_fd ? 60'000 : kExitPollMilliseconds));
    const int ready = ::poll(fds, count, wait_ms);
    if (ready < 0 && errno != EINTR) {
      // Nothing sensible can be waited on: the child is killed (by Child) rather than left running.
      ProgramResult r;
      r.end = ProgramResult::End::abandoned;
      r.problem = "poll: " + errno_text(errno);
      return r;
    }
    if (ready > 0 && input_slot >= 0 && fds[input_slot].revents != 0) to_child.write_ready();
    if (ready > 0 && errors_slot >= 0 && fds[errors_slot].revents != 0) from_child.read_ready();
    if (exit_slot < 0 || (ready > 0 && fds[exit_slot].revents != 0)) child.try_reap();
  }

  // What it wrote before it exited is in the pipe, unless something it started still holds the pipe open,
  // which is not waited for.
  ProgramResult result;
  from_child.read_ready();
  result.error_output = from_child.take();
  if (timed_out) {
    child.kill_all();
    child.reap_blocking();
    result.end = ProgramResult::End::timed_out;
    return result;
  }
  result.input_complete = to_child.complete();
  const int status = child.status();
  if (child.lost() || (!WIFSIGNALED(status) && !WIFEXITED(status))) {
    result.end = ProgramResult::End::abandoned;
    result.problem = "lost track of " + program;
  } else if (WIFSIGNALED(status)) {
    result.end = ProgramResult::End::killed_by_signal;
    result.signal = WTERMSIG(status);
  } else {
    result.end = ProgramResult::End::exited;
    result.exit_status = WEXITSTATUS(status);
  }
  return result;
}

}  // namespace letterbox
