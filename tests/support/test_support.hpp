// Shared by the tests: run unprivileged (Letterbox refuses to deliver as root, and CI runs as root),
// temporary directories, real child processes, and the independent mailbox reader.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "letterbox/config/config.hpp"

namespace letterbox::test {

// When started as root, becomes nobody/nogroup for the rest of the process but keeps root as the saved
// uid, so RootScope can come back for a moment (to mount a tmpfs). Children exec'd later are fully
// unprivileged. Called by the tests' main().
void become_unprivileged();
bool started_as_root();

// Drops the saved root uid for good. LeakSanitizer's exit check attaches to this process's threads, which
// the kernel refuses while the saved uid differs from the real one; main() calls this after the tests.
void give_up_root();

// Root while in scope (only if the process started as root).
class RootScope {
 public:
  RootScope();
  ~RootScope();
  RootScope(const RootScope&) = delete;
  RootScope& operator=(const RootScope&) = delete;
};

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& content);

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

// One LMTP/SMTP client connection over TCP (port) or a UNIX socket (path).
class LineClient {
 public:
  // `source`: the local address to connect from (127.0.0.2, ...); empty: the kernel's choice.
  // `destination`: the server's address, for servers on loopback addresses of their own.
  explicit LineClient(int port, const std::string& source = "", const std::string& destination = "127.0.0.1");
  explicit LineClient(const std::filesystem::path& unix_socket);
  ~LineClient();
  LineClient(const LineClient&) = delete;
  LineClient& operator=(const LineClient&) = delete;
  void send(const std::string& bytes);
  // One whole reply; a multi-line reply comes back joined with '\n'. "" when the server closed.
  std::string reply(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::string command(const std::string& line) {
    send(line + "\r\n");
    return reply();
  }
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Everything still to come, until the server closes (or `timeout` passes without a byte).
  std::string rest(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  int fd_ = -1;
  std::string buffer_;
};

// Moves the whole lines of a reply from the front of `buffer` to `joined` (joined with '\n'); true once
// its last line has come.
bool take_reply_lines(std::string& buffer, std::string& joined);

// After DATA's 354: a message of at least `bytes` octets of numbered lines, and the final dot.
void send_large_message(LineClient& client, const std::string& subject, std::uint64_t bytes);

// A message as an SMTP/LMTP client sends it after DATA: CRLF line ends, dot-stuffed, ".\r\n" at the end.
std::string smtp_data(const std::string& message);

// One HTTP exchange with 127.0.0.1:port: `request` is sent as it is (the client then half-closes), and
// the status code and body of the answer come back (status 0 when nothing answered).
struct HttpAnswer {
  int status = 0;
  std::string body;
};
HttpAnswer http_exchange(int port, const std::string& request);
inline HttpAnswer http_get(int port, const std::string& path) {
  return http_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
}

// Does something accept connections on this loopback port right now?
bool port_accepts(int port, const std::string& address = "127.0.0.1");

// Waits until something accepts connections on the loopback port.
bool wait_for_port(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

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

// The first process other than this one with `argument` among its arguments (/proc); -1 if none.
pid_t process_with_argument(const std::string& argument);

// User plus system CPU time `pid` has used so far (/proc/PID/stat); -1 if it is gone.
double cpu_seconds(pid_t pid);

// Whether `pid` is alive (a zombie counts as gone).
bool process_running(pid_t pid);

// A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"); -1 when it cannot be read.
long status_kib(pid_t pid, const std::string& field);

// Waits until `path` exists (a holder's "I have the lock" marker). False on timeout.
bool wait_for_file(const std::filesystem::path& path, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A settings object for tests: mail_root under `root`, short lock timeouts.
Settings test_settings(const std::filesystem::path& mail_root);

// The body the tests give message `id`; read_mailbox.py regenerates it to check each message is intact.
std::string test_message(const std::string& id);

// Runs tests/fixtures/read_mailbox.py: one line per message "ID<TAB>OK|BAD<TAB>return-path<TAB>delivered-to",
// then "count N". The reader is Python's mailbox module, not our code.
std::string read_mailbox(const std::string& format, const std::filesystem::path& path);

// The path of a file in tests/fixtures.
std::filesystem::path fixture(const std::string& name);

// Whether a Prometheus text exposition holds this sample line, "name{labels} value", whole.
bool has_sample(const std::string& metrics, const std::string& sample);

}  // namespace letterbox::test
