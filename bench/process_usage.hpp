// What a server process spends on a load: its CPU time (/proc/PID/stat, all threads) and, over a separate
// shorter run, its system calls as `strace -c -f -p PID` counts them (bench_ceiling).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace letterbox::bench {

// The calls column of strace -c's summary: the futex row, the total row and every row by count.
struct SyscallCounts {
  bool ok = false;  // strace attached and its summary was read
  double futex = 0;
  double total = 0;
  std::vector<std::pair<std::string, double>> rows;  // most calls first

  // The counts divided by `n` (messages): "futex 12.3, recvfrom 8.0, ..." for the first `top` rows.
  [[nodiscard]] std::string top(double n, std::size_t top = 6) const;
};

// strace -c -f attached to `pid` (started as root, which may trace any process) from construction until
// finish(), which detaches it with SIGINT and reads the summary it wrote to `summary`.
class SyscallTrace {
 public:
  SyscallTrace(pid_t pid, std::filesystem::path summary);
  ~SyscallTrace();
  SyscallTrace(const SyscallTrace&) = delete;
  SyscallTrace& operator=(const SyscallTrace&) = delete;
  SyscallCounts finish();

 private:
  pid_t traced_;
  pid_t strace_ = -1;
  std::filesystem::path summary_;
};

}  // namespace letterbox::bench
