#include "test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

namespace letterbox::test {
namespace {

bool g_started_as_root = false;
uid_t g_uid = 0;

[[noreturn]] void die(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

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

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "letterbox-test.XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) die("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

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
  if (!g_started_as_root) throw std::runtime_error("run_as_root: the tests did not start as root");
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

LineClient::LineClient(int port, const std::string& source, const std::string& destination) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1 ||
        bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      die("bind " + source);
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, destination.c_str(), &addr.sin_addr) != 1) die("address " + destination);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect " + destination);
}

LineClient::LineClient(const std::filesystem::path& unix_socket) {
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, unix_socket.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect " + unix_socket.string());
}

LineClient::~LineClient() {
  close(fd_);
}

void LineClient::send(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may have closed; the next reply() says so
    done += static_cast<std::size_t>(n);
  }
}

bool take_reply_lines(std::string& buffer, std::string& joined) {
  for (auto nl = buffer.find("\r\n"); nl != std::string::npos; nl = buffer.find("\r\n")) {
    const std::string line = buffer.substr(0, nl);
    buffer.erase(0, nl + 2);
    if (!joined.empty()) joined += '\n';
    joined += line;
    if (line.size() < 4 || line[3] != '-') return true;
  }
  return false;
}

std::string LineClient::reply(std::chrono::milliseconds timeout) {
  std::string joined;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (take_reply_lines(buffer_, joined)) return joined;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return joined + "<timeout>";
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return joined;
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

void send_large_message(LineClient& client, const std::string& subject, std::uint64_t bytes) {
  client.send("Subject: " + subject + "\r\n\r\n");
  std::string block;
  for (int i = 0; i < 1000; ++i) block += "line " + std::to_string(i) + " of a large message ....................\r\n";
  for (std::uint64_t sent = 0; sent < bytes; sent += block.size()) client.send(block);
  client.send(".\r\n");
}

bool LineClient::closed_by_peer(std::chrono::milliseconds timeout) {
  pollfd pfd{fd_, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char c;
  return recv(fd_, &c, 1, MSG_PEEK) == 0;
}

std::string LineClient::rest(std::chrono::milliseconds timeout) {
  std::string out = std::exchange(buffer_, {});
  for (;;) {
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return out;
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return out;
    out.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string smtp_data(const std::string& message) {
  std::string out;
  std::size_t pos = 0;
  while (pos < message.size()) {
    auto nl = message.find('\n', pos);
    if (nl == std::string::npos) nl = message.size();
    std::string line = message.substr(pos, nl - pos);
    if (line.starts_with(".")) line.insert(0, ".");
    out += line + "\r\n";
    pos = nl + 1;
  }
  return out + ".\r\n";
}

HttpAnswer http_exchange(int port, const std::string& request) {
  HttpAnswer answer;
  LineClient client(port);
  client.send(request);
  const std::string raw = client.rest();
  const auto space = raw.find(' ');
  const auto end = raw.find("\r\n\r\n");
  if (!raw.starts_with("HTTP/1.") || space == std::string::npos || end == std::string::npos) return answer;
  answer.status = std::stoi(raw.substr(space + 1, 3));
  answer.body = raw.substr(end + 4);
  return answer;
}

bool port_accepts(int port, const std::string& address) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (port_accepts(port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

pid_t process_with_argument(const std::string& argument) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(name));
    if (pid == getpid()) continue;
    std::ifstream in(entry.path() / "cmdline");
    std::string arg;
    while (std::getline(in, arg, '\0')) {
      if (arg == argument) return pid;
    }
  }
  return -1;
}

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // from field 3 (state) on
  std::string field;
  double ticks = 0;
  for (int n = 3; n <= 15 && fields >> field; ++n) {
    if (n == 14 || n == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field + ":")) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

bool process_running(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  const auto close = stat.rfind(')');  // the command name may contain spaces and parentheses
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

bool wait_for_file(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

Settings test_settings(const std::filesystem::path& mail_root) {
  Settings s = default_settings();
  s.delivery.mail_root = mail_root.string();
  s.delivery.lock_timeout = std::chrono::milliseconds(1500);
  s.server.hostname = "mx.test";
  s.log.level = LogLevel::Warn;
  return s;
}

std::string test_message(const std::string& id) {
  std::string text =
      "Message-ID: <" + id + ">\nFrom: sender@example.org\nTo: user@example.org\nSubject: test " + id + "\n\n";
  for (int k = 0; k < 12; ++k) text += id + " line " + std::to_string(k) + "\n";
  text += "From " + id + " is quoted in an mbox\n\nend of " + id + "\n";
  return text;
}

std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(LETTERBOX_SOURCE_DIR) / "tests" / "fixtures" / name;
}

std::string read_mailbox(const std::string& format, const std::filesystem::path& path) {
  auto result = run({"/usr/bin/python3", fixture("read_mailbox.py").string(), format, path.string()});
  if (result.exit_code != 0) throw std::runtime_error("read_mailbox.py failed: " + result.output);
  return result.output;
}

bool has_sample(const std::string& metrics, const std::string& sample) {
  return metrics.find("\n" + sample + "\n") != std::string::npos;
}

}  // namespace letterbox::test
