#include "ceiling_servers.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace letterbox::bench {

namespace fs = std::filesystem;

namespace {

// More threads than the benchmarks' 20 sessions: each serves one connection at a time.
constexpr int kThreads = 64;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "ceiling: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

int listen_on(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("bind");
  if (::listen(fd, 1024) != 0) fail("listen");
  return fd;
}

// kThreads threads, each accepting a connection and calling `serve` with it until it returns; then
// closes it and accepts the next.
template <class Serve>
[[noreturn]] void serve_forever(int port, Serve serve) {
  const int listener = listen_on(port);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([listener, &serve] {
      for (;;) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        serve(fd);
        ::close(fd);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::exit(0);
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool write_all(int fd, const iovec* parts, int count) {
  std::size_t wanted = 0;
  for (int i = 0; i < count; ++i) wanted += parts[i].iov_len;
  const ssize_t n = ::writev(fd, parts, count);
  if (n == static_cast<ssize_t>(wanted)) return true;
  if (n < 0) return false;
  // A short write (rare on a local file): the rest one part at a time.
  std::size_t skip = static_cast<std::size_t>(n);
  for (int i = 0; i < count; ++i) {
    std::string_view part(static_cast<const char*>(parts[i].iov_base), parts[i].iov_len);
    if (skip >= part.size()) {
      skip -= part.size();
      continue;
    }
    part.remove_prefix(skip);
    skip = 0;
    while (!part.empty()) {
      const ssize_t w = ::write(fd, part.data(), part.size());
      if (w <= 0) return false;
      part.remove_prefix(static_cast<std::size_t>(w));
    }
  }
  return true;
}

// One flush (an fsync) covers every caller that arrived before it began: a caller either runs the next
// flush or waits for the one that will cover it.
class GroupCommit {
 public:
  template <class Flush>
  bool sync(Flush flush) {
    std::unique_lock lock(mutex_);
    const std::uint64_t mine = ++requested_;
    while (done_ < mine) {
      if (!busy_) {
        busy_ = true;
        const std::uint64_t upto = requested_;
        lock.unlock();
        const bool ok = flush();
        lock.lock();
        busy_ = false;
        if (!ok) failed_ = upto;
        done_ = upto;
        changed_.notify_all();
      } else {
        changed_.wait(lock);
      }
    }
    return failed_ < mine;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t requested_ = 0;
  std::uint64_t done_ = 0;
  std::uint64_t failed_ = 0;
  bool busy_ = false;
};

// The benchmark moves the mail aside between runs (bench::set_aside), so nothing below <root> is kept open:
// paths are resolved from <root> for each message (a lookup in the dentry cache), and only the group
// commit of each Maildir is kept, by name.
class Commits {
 public:
  GroupCommit& of(const std::string& name) {
    thread_local std::unordered_map<std::string, GroupCommit*> seen;
    if (const auto it = seen.find(name); it != seen.end()) return *it->second;
    std::lock_guard lock(mutex_);
    auto& slot = all_[name];
    if (!slot) slot = std::make_unique<GroupCommit>();
    seen[name] = slot.get();
    return *slot;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<GroupCommit>> all_;
};

// The mailbox name of a recipient: its local part, lower-cased, anything but [a-z0-9._-] replaced.
std::string mailbox_name(const std::string& address) {
  std::string name = address.substr(0, address.find('@'));
  for (auto& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  }
  if (name.empty() || name[0] == '.') name = "_" + name;
  return name;
}

// What is between < and > (or the text after the colon).
std::string address_of(std::string_view line) {
  const auto open = line.find('<');
  const auto close = line.find('>', open == std::string_view::npos ? 0 : open);
  if (open != std::string_view::npos && close != std::string_view::npos) {
    return std::string(line.substr(open + 1, close - open - 1));
  }
  const auto colon = line.find(':');
  return colon == std::string_view::npos ? std::string() : std::string(line.substr(colon + 1));
}

class Sink {
 public:
  Sink(const fs::path& root, bool mbox) : mbox_(mbox) {
    root_ = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_ < 0) fail("open " + root.string());
  }

  void serve(int fd) {
    std::string in;
    std::string out = "220 sink LMTP ready\r\n";
    std::string sender;
    std::vector<std::string> recipients;
    std::string body;  // the message with LF line ends, dots unstuffed
    bool data = false;
    if (!send_all(fd, out)) return;
    out.clear();
    char chunk[65536];
    for (;;) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      in.append(chunk, static_cast<std::size_t>(n));
      std::size_t pos = 0;
      bool quit = false;
      for (;;) {
        const auto* nl = static_cast<const char*>(std::memchr(in.data() + pos, '\n', in.size() - pos));
        if (nl == nullptr) break;
        const std::size_t end = static_cast<std::size_t>(nl - in.data());
        std::string_view line(in.data() + pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (data) {
          if (line == ".") {
            data = false;
            deliver(sender, recipients, body, out);
            recipients.clear();
            continue;
          }
          if (!line.empty() && line[0] == '.') line.remove_prefix(1);
          body.append(line);
          body.push_back('\n');
          continue;
        }
        std::string verb(line.substr(0, 4));
        for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (verb == "LHLO") {
          out += "250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n";
        } else if (verb == "MAIL") {
          sender = address_of(line);
          recipients.clear();
          out += "250 2.1.0 Ok\r\n";
        } else if (verb == "RCPT") {
          recipients.push_back(address_of(line));
          out += "250 2.1.5 Ok\r\n";
        } else if (verb == "DATA") {
          if (recipients.empty()) {
            out += "503 5.5.1 No valid recipients\r\n";
          } else {
            data = true;
            body.clear();
            out += "354 End data with <CR><LF>.<CR><LF>\r\n";
          }
        } else if (verb == "RSET") {
          recipients.clear();
          out += "250 2.0.0 Ok\r\n";
        } else if (verb == "NOOP") {
          out += "250 2.0.0 Ok\r\n";
        } else if (verb == "QUIT") {
          out += "221 2.0.0 Bye\r\n";
          quit = true;
          break;
        } else {
          out += "500 5.5.2 Unknown command\r\n";
        }
      }
      in.erase(0, pos);
      if (!out.empty()) {
        if (!send_all(fd, out)) return;
        out.clear();
      }
      if (quit) return;
    }
  }

 private:
  void deliver(const std::string& sender, const std::vector<std::string>& recipients, const std::string& body,
               std::string& out) {
    if (mbox_) {
      for (const auto& r : recipients) out += append_to_mbox(sender, r, body) ? ok(r) : "451 4.3.0 Error\r\n";
      return;
    }
    // Every file written, fsync'd and linked first, then each Maildir's new/ synced once.
    std::vector<std::string> names(recipients.size());
    std::vector<bool> stored(recipients.size());
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      names[i] = mailbox_name(recipients[i]);
      stored[i] = store(sender, recipients[i], names[i], body);
    }
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      const bool synced = stored[i] && commits_.of(names[i]).sync([&] {
        const int dir = ::openat(root_, (names[i] + "/new").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        const bool ok = dir >= 0 && ::fsync(dir) == 0;
        if (dir >= 0) ::close(dir);
        return ok;
      });
      out += synced ? ok(recipients[i]) : "451 4.3.0 Error\r\n";
    }
  }

  static std::string ok(const std::string& recipient) { return "250 2.0.0 <" + recipient + "> Delivered\r\n"; }

  // <mailbox>/tmp/NAME written and fsync'd, linked as new/NAME, tmp/NAME unlinked; the Maildir made if
  // missing.
  bool store(const std::string& sender, const std::string& recipient, const std::string& mailbox,
             const std::string& body) {
    timeval now{};
    ::gettimeofday(&now, nullptr);
    char unique[96];
    std::snprintf(unique, sizeof unique, "%ld.M%ldP%dQ%lu.sink", static_cast<long>(now.tv_sec),
                  static_cast<long>(now.tv_usec), static_cast<int>(::getpid()),
                  static_cast<unsigned long>(counter_.fetch_add(1, std::memory_order_relaxed)));
    const std::string tmp = mailbox + "/tmp/" + unique;
    const std::string fresh = mailbox + "/new/" + unique;
    const std::string header = "Return-Path: <" + sender + ">\nDelivered-To: " + recipient + "\n";
    int fd = ::openat(root_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ENOENT) {
      for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
        if (::mkdirat(root_, (mailbox + sub).c_str(), 0700) != 0 && errno != EEXIST) return false;
      }
      fd = ::openat(root_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    }
    if (fd < 0) return false;
    const iovec parts[2] = {{const_cast<char*>(header.data()), header.size()},
                            {const_cast<char*>(body.data()), body.size()}};
    const bool written = write_all(fd, parts, 2) && ::fsync(fd) == 0;
    ::close(fd);
    const bool linked = written && ::linkat(root_, tmp.c_str(), root_, fresh.c_str(), 0) == 0;
    ::unlinkat(root_, tmp.c_str(), 0);
    return linked;
  }

  bool append_to_mbox(const std::string& sender, const std::string& recipient, const std::string& body) {
    const std::time_t now = std::time(nullptr);
    char date[32];
    tm t{};
    ::gmtime_r(&now, &t);
    std::strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &t);
    std::string text = "From " + (sender.empty() ? std::string("MAILER-DAEMON") : sender) + " " + date +
                       "\nReturn-Path: <" + sender + ">\nDelivered-To: " + recipient + "\n";
    text.reserve(text.size() + body.size() + 16);
    // >From quoting: a body line starting "From " (any number of '>' before it) gets one more '>'.
    std::size_t start = 0;
    while (start < body.size()) {
      std::size_t end = body.find('\n', start);
      end = end == std::string::npos ? body.size() : end + 1;
      std::string_view line(body.data() + start, end - start);
      const auto first = line.find_first_not_of('>');
      if (first != std::string_view::npos && line.substr(first).starts_with("From ")) text.push_back('>');
      text.append(line);
      start = end;
    }
    text.push_back('\n');
    const int fd = ::openat(root_, "mbox", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    bool written = false;
    {
      std::lock_guard lock(mbox_mutex_);  // one message's lines not mixed with another's
      const iovec part{text.data(), text.size()};
      written = write_all(fd, &part, 1);
    }
    // Any descriptor of the file will do for the fsync that covers everyone's appends.
    const bool synced = written && mbox_commit_.sync([fd] { return ::fsync(fd) == 0; });
    ::close(fd);
    return synced;
  }

  int root_ = -1;
  bool mbox_;
  Commits commits_;
  std::mutex mbox_mutex_;
  GroupCommit mbox_commit_;
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace

void run_lmtp_sink(int port, const fs::path& root, bool mbox) {
  fs::create_directories(root);
  static Sink sink(root, mbox);
  serve_forever(port, [](int fd) { sink.serve(fd); });
}

void run_policy_responder(int port) {
  serve_forever(port, [](int fd) {
    static constexpr std::string_view kReply = "action=DUNNO\n\n";
    std::string in;
    std::string out;
    char chunk[16384];
    std::size_t scanned = 0;  // where the search for the next "\n\n" resumes
    for (;;) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      in.append(chunk, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (;;) {
        const auto end = in.find("\n\n", scanned);
        if (end == std::string::npos) break;
        out += kReply;
        start = scanned = end + 2;
      }
      in.erase(0, start);
      scanned = in.empty() ? 0 : in.size() - 1;
      if (!out.empty()) {
        if (!send_all(fd, out)) return;
        out.clear();
      }
    }
  });
}

}  // namespace letterbox::bench
