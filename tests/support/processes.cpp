#include "processes.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "die.hpp"
#include "privileges.hpp"

namespace letterbox::test {

namespace {

pid_t spawn(const std::vector<std::string>& argv, int stdin_fd, int stdout_fd, int stderr_fd = -2,
            bool as_root = false) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    if (stdin_fd >= 0) dup2(stdin_fd, 0);
    if (stdout_fd >= 0) dup2(stdout_fd, 1);
    if (stderr_fd >= 0) dup2(stderr_fd, 2);
    if (stderr_fd == -2 && stdout_fd >= 0) dup2(stdout_fd, 2);
    setpgid(0, 0);
    if (as_root) {
      // The saved uid is 0, so this unprivileged process may become root again.
      const gid_t root_group = 0;
      if (setresuid(0, 0, 0) != 0 || setgroups(1, &root_group) != 0 || setresgid(0, 0, 0) != 0) _exit(126);
      setenv("HOME", "/root", 1);
    }
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid, long* max_rss_kib = nullptr) {
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) return -1;
  }
  if (max_rss_kib != nullptr) *max_rss_kib = usage.ru_maxrss;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void drain(int fd, std::string& into) {
  std::array<char, 65536> buf{};
  for (;;) {
    const ssize_t n = read(fd, buf.data(), buf.size());
    if (n > 0) {
      into.append(buf.data(), static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fd);
}

std::thread feeder(int fd, const std::string& input) {
  return std::thread([fd, &input] {
    std::size_t done = 0;
    while (done < input.size()) {
      const ssize_t n = write(fd, input.data() + done, input.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    close(fd);
  });
}

}  // namespace

namespace {

RunResult run_with(const std::vector<std::string>& argv, const std::string& input, bool as_root) {
  std::array<int, 2> in_pipe{};
  std::array<int, 2> out_pipe{};
  if (pipe2(in_pipe.data(), O_CLOEXEC) != 0 || pipe2(out_pipe.data(), O_CLOEXEC) != 0) die("pipe");
  const pid_t pid = spawn(argv, in_pipe[0], out_pipe[1], -2, as_root);
  close(in_pipe[0]);
  close(out_pipe[1]);
  signal(SIGPIPE, SIG_IGN);
  std::thread writer = feeder(in_pipe[1], input);
  RunResult result;
  drain(out_pipe[0], result.output);
  writer.join();
  result.exit_code = wait_exit(pid, &result.max_rss_kib);
  return result;
}

}  // namespace

RunResult run(const std::vector<std::string>& argv, const std::string& input) {
  return run_with(argv, input, false);
}

RunResult run_as_root(const std::vector<std::string>& argv, const std::string& input) {
  if (!started_as_root()) throw std::runtime_error("run_as_root: the tests did not start as root");
  return run_with(argv, input, true);
}

SplitRunResult run_split(const std::vector<std::string>& argv, const std::string& input) {
  std::array<int, 2> in_pipe{};
  std::array<int, 2> out_pipe{};
  std::array<int, 2> err_pipe{};
  if (pipe2(in_pipe.data(), O_CLOEXEC) != 0 || pipe2(out_pipe.data(), O_CLOEXEC) != 0 ||
      pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    die("pipe");
  }
  const pid_t pid = spawn(argv, in_pipe[0], out_pipe[1], err_pipe[1]);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  signal(SIGPIPE, SIG_IGN);
  std::thread writer = feeder(in_pipe[1], input);
  SplitRunResult result;
  std::thread err_reader([&] { drain(err_pipe[0], result.err); });
  drain(out_pipe[0], result.out);
  err_reader.join();
  writer.join();
  result.exit_code = wait_exit(pid, &result.max_rss_kib);
  return result;
}

Background::Background(const std::vector<std::string>& argv) {
  const int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_ = spawn(argv, devnull, -1);
  close(devnull);
}

Background::~Background() {
  stop();
}

int Background::signal_and_wait(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  const int code = wait_exit(pid_);
  pid_ = -1;
  return code;
}

void Background::stop() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);  // the whole group: `flock -x f sleep` leaves a sleep behind otherwise
  kill(pid_, SIGTERM);
  wait_exit(pid_);
  pid_ = -1;
}

}  // namespace letterbox::test
