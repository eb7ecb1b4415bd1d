// Real child processes: run to completion or kept in the background; waiting for a condition.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace letterbox::test {

struct RunResult {
  int exit_code = -1;    // 128 + signal if killed
  std::string output;    // stdout and stderr together
  long max_rss_kib = 0;  // the child's peak resident set
};

// Runs a program to completion.
RunResult run(const std::vector<std::string>& argv, const std::string& input = "");
// The same as real root (uid and gid 0); only when the process started as root.
RunResult run_as_root(const std::vector<std::string>& argv, const std::string& input = "");
// The same with the separate stdout and stderr kept apart: output is stdout, error is stderr.
struct SplitRunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  long max_rss_kib = 0;
};
SplitRunResult run_split(const std::vector<std::string>& argv, const std::string& input = "");

// A child process that runs until it is destroyed (SIGTERM, then reaped).
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  void stop();
  // Sends `signal` and waits for the exit; returns the exit code (128 + signal if killed).
  int signal_and_wait(int signal);
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// Polls `done` every 20 ms until it is true (then true) or `timeout` passes (then false).
template <class Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace letterbox::test
