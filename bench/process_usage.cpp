#include "process_usage.hpp"

#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "test_support.hpp"

namespace letterbox::bench {

namespace fs = std::filesystem;

namespace {

// Whether every thread of `pid` has a tracer (/proc/PID/task/*/status, TracerPid).
bool all_threads_traced(pid_t pid) {
  std::error_code ec;
  bool any = false;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "status");
    std::string line;
    bool traced = false;
    while (std::getline(in, line)) {
      if (line.starts_with("TracerPid:")) traced = std::stol(line.substr(10)) != 0;
    }
    if (!traced) return false;
    any = true;
  }
  return any;
}

void wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

std::string SyscallCounts::top(double n, std::size_t count) const {
  std::string out;
  char item[96];
  for (std::size_t i = 0; i < rows.size() && i < count; ++i) {
    std::snprintf(item, sizeof item, "%s%s %.1f", i == 0 ? "" : ", ", rows[i].first.c_str(), rows[i].second / n);
    out += item;
  }
  return out;
}

SyscallTrace::SyscallTrace(pid_t pid, fs::path summary) : traced_(pid), summary_(std::move(summary)) {
  const std::string pid_text = std::to_string(pid);
  const std::string out = summary_.string();
  strace_ = ::fork();
  if (strace_ == 0) {
    // The saved uid is root's (test::become_unprivileged): strace attaches to whatever the server became.
    const gid_t root_group = 0;
    if (::setresuid(0, 0, 0) != 0 || ::setgroups(1, &root_group) != 0 || ::setresgid(0, 0, 0) != 0) ::_exit(126);
    ::execlp("strace", "strace", "-q", "-c", "-f", "-o", out.c_str(), "-p", pid_text.c_str(), nullptr);
    ::_exit(127);
  }
  if (!test::wait_until([&] { return all_threads_traced(traced_); }, std::chrono::seconds(10))) {
    std::fprintf(stderr, "strace did not attach to every thread of %d\n", traced_);
  }
}

SyscallTrace::~SyscallTrace() {
  if (strace_ > 0) finish();
}

SyscallCounts SyscallTrace::finish() {
  SyscallCounts counts;
  if (strace_ <= 0) return counts;
  {
    test::RootScope root;  // strace runs as root
    ::kill(strace_, SIGINT);
  }
  wait_for(strace_);
  strace_ = -1;
  // % time  seconds  usecs/call  calls  [errors]  syscall: the calls are the fourth column, the name the last.
  std::ifstream in(summary_);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    if (f.size() < 5 || f[0].find_first_not_of("0123456789.") != std::string::npos) continue;
    const double calls = std::stod(f[3]);
    if (f.back() == "total") {
      counts.total = calls;
      counts.ok = true;
    } else {
      if (f.back() == "futex") counts.futex = calls;
      counts.rows.emplace_back(f.back(), calls);
    }
  }
  std::stable_sort(counts.rows.begin(), counts.rows.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return counts;
}

}  // namespace letterbox::bench
