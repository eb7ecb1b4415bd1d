#include "listeners.hpp"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>

#include "letterbox/util/log.hpp"
#include "letterbox/util/process_identity.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

void own_socket(const std::string& path, unsigned socket_mode, const ServerSettings& owner) {
  if (::chmod(path.c_str(), socket_mode) != 0) {
    throw std::runtime_error("cannot chmod " + path + ": " + std::strerror(errno));
  }
  if (::geteuid() != 0) return;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  if (const passwd* pw = getpwnam(owner.user.c_str())) uid = pw->pw_uid;
  if (const group* gr = getgrnam(owner.group.c_str())) gid = gr->gr_gid;
  if (::chown(path.c_str(), uid, gid) != 0) {
    throw std::runtime_error("cannot chown " + path + ": " + std::strerror(errno));
  }
}

// The address accept() reported for a TCP peer, as text ("192.0.2.1", "2001:db8::1", "fe80::1%eth0").
std::string peer_address(const asio::generic::stream_protocol::endpoint& peer) {
  asio::ip::tcp::endpoint ip;
  if (peer.size() == 0 || peer.size() > ip.capacity()) return "unknown";
  std::memcpy(ip.data(), peer.data(), peer.size());
  ip.resize(peer.size());
  return ip.address().to_string();
}

}  // namespace

void Listeners::bind(const std::vector<std::string>& listen, unsigned socket_mode, const ServerSettings& owner) {
  if (adopt_systemd_sockets()) return;
  for (const auto& spec : listen) {
    if (spec.starts_with("unix:")) {
      bind_unix(spec.substr(5), socket_mode, owner);
    } else {
      bind_tcp(spec);
    }
  }
}

void Listeners::bind_unix(const std::string& path, unsigned socket_mode, const ServerSettings& owner) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode)) {
    throw std::runtime_error(path + " exists and is not a socket");
  }
  // Made under a temporary name, then renamed over whatever socket a previous run left: the path
  // never names a socket that is not yet listening or not yet ours. A path too long for a temporary
  // name beside it is bound in place.
  std::string temp = path + "." + std::to_string(process_id());
  if (temp.size() >= sizeof(sockaddr_un::sun_path)) {
    temp = path;
    ::unlink(path.c_str());
  } else {
    ::unlink(temp.c_str());
  }
  const auto fail = [&](const std::string& why) {
    ::unlink(temp.c_str());
    throw std::runtime_error("cannot listen on unix:" + path + ": " + why);
  };
  boost::system::error_code ec;
  auto acceptor = std::make_unique<asio::local::stream_protocol::acceptor>(io_);
  acceptor->open(asio::local::stream_protocol(), ec);
  if (!ec) acceptor->bind(asio::local::stream_protocol::endpoint(temp), ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) fail(ec.message());
  try {
    own_socket(temp, socket_mode, owner);
  } catch (const std::runtime_error& e) {
    fail(e.what());
  }
  if (temp != path && ::rename(temp.c_str(), path.c_str()) != 0) fail(std::strerror(errno));
  struct stat made {};
  if (::lstat(path.c_str(), &made) != 0) fail(std::strerror(errno));
  unix_.push_back(std::move(acceptor));
  unix_paths_.push_back({path, made.st_dev, made.st_ino});
}

void Listeners::bind_tcp(const std::string& spec) {
  boost::system::error_code ec;
  auto opened = open_tcp_acceptor(io_, spec, ec);
  auto acceptor = std::make_unique<TcpAcceptor>(io_);
  int family = 0;
  if (!ec) family = opened->local_endpoint(ec).protocol().family();
  if (!ec) {
    UniqueFd listening(opened->release(ec));  // ours until the generic acceptor holds it
    if (!ec) acceptor->assign(asio::generic::stream_protocol(family, IPPROTO_TCP), listening.get(), ec);
    if (!ec) (void)listening.release();
  }
  if (ec) throw std::runtime_error("cannot listen on " + spec + ": " + ec.message());
  tcp_.push_back(std::move(acceptor));
}

std::unique_ptr<asio::ip::tcp::acceptor> open_tcp_acceptor(asio::io_context& io, const std::string& spec,
                                                           boost::system::error_code& ec) {
  const std::string rest = spec.substr(5);  // the configuration has checked "inet:HOST:PORT"
  const auto colon = rest.rfind(':');
  std::string host = rest.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const auto port = static_cast<unsigned short>(std::stoul(rest.substr(colon + 1)));
  const auto address = asio::ip::make_address(host.empty() ? "127.0.0.1" : host, ec);
  if (ec) return nullptr;
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io);
  const asio::ip::tcp::endpoint endpoint(address, port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return nullptr;
  return acceptor;
}

bool Listeners::adopt_systemd_sockets() {
  const auto fds = take_systemd_sockets();
  for (const int fd : fds) {
    const std::string name = "descriptor " + std::to_string(fd) + " from systemd";
    int type = 0;
    int listening = 0;
    socklen_t size = sizeof type;
    ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size);
    size = sizeof listening;
    ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size);
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (type != SOCK_STREAM || listening == 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error(name + " is not a listening stream socket (ListenStream= in the .socket unit)");
    }
    boost::system::error_code ec;
    if (address.ss_family == AF_UNIX) {
      auto acceptor = std::make_unique<asio::local::stream_protocol::acceptor>(io_);
      acceptor->assign(asio::local::stream_protocol(), fd, ec);
      if (!ec) unix_.push_back(std::move(acceptor));
    } else if (address.ss_family == AF_INET || address.ss_family == AF_INET6) {
      auto acceptor = std::make_unique<TcpAcceptor>(io_);
      acceptor->assign(asio::generic::stream_protocol(address.ss_family, IPPROTO_TCP), fd, ec);
      if (!ec) tcp_.push_back(std::move(acceptor));
    } else {
      throw std::runtime_error(name + " is neither a UNIX nor a TCP socket");
    }
    if (ec) throw std::runtime_error("cannot use " + name + ": " + ec.message());
  }
  activated_ = !fds.empty();
  return activated_;
}

namespace {

// At most one line a minute for the same failure of the same listener: EMFILE lasts as long as the load
// that caused it, and a line every pause would fill the disk the mail needs. Those left out are counted
// on the next line.
class AcceptErrorLog {
 public:
  void note(std::string_view what, const boost::system::error_code& error) {
    const auto now = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_);
    auto& seen = seen_[std::string(what) + ": " + error.message()];
    if (seen.logged != std::chrono::steady_clock::time_point{} && now - seen.logged < kQuiet) {
      ++seen.left_out;
      return;
    }
    const auto left_out = std::exchange(seen.left_out, 0);
    seen.logged = now;
    lock.unlock();
    if (left_out == 0) {
      log::error("{}: {}", what, error.message());
    } else {
      log::error("{}: {} ({} more times since the last line)", what, error.message(), left_out);
    }
  }

 private:
  static constexpr auto kQuiet = std::chrono::minutes(1);
  struct Seen {
    std::chrono::steady_clock::time_point logged{};
    std::uint64_t left_out = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Seen> seen_;
};

AcceptErrorLog& accept_error_log() {
  static AcceptErrorLog log;
  return log;
}

}  // namespace

awaitable<void> pause_after_accept_error(asio::io_context& io, const boost::system::error_code& error,
                                         std::string_view what) {
  accept_error_log().note(what, error);
  asio::steady_timer pause(io, std::chrono::milliseconds(100));
  boost::system::error_code ignored;
  co_await pause.async_wait(asio::redirect_error(use_awaitable, ignored));
}

std::vector<int> take_systemd_sockets() {
  std::vector<int> fds;
  const char* pid = std::getenv("LISTEN_PID");
  const char* count = std::getenv("LISTEN_FDS");
  if (pid != nullptr && count != nullptr && std::strtol(pid, nullptr, 10) == process_id()) {
    constexpr int kFirst = 3;  // SD_LISTEN_FDS_START
    const long n = std::strtol(count, nullptr, 10);
    for (long i = 0; i < n && i < 1024; ++i) {
      const int fd = kFirst + static_cast<int>(i);
      if (::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0) fds.push_back(fd);
    }
  }
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return fds;
}

void Listeners::start(OnAccept on_accept) {
  on_accept_ = std::move(on_accept);
  for (auto& a : tcp_) asio::co_spawn(io_, accept_tcp(*a), asio::detached);
  for (auto& a : unix_) asio::co_spawn(io_, accept_unix(*a), asio::detached);
}

void Listeners::close() {
  boost::system::error_code ignored;
  for (auto& a : tcp_) a->close(ignored);
  for (auto& a : unix_) a->close(ignored);
  // A server started on the same path since (a restart that overlaps this one) has renamed its own
  // socket over ours: that one is not ours to remove.
  for (const auto& made : unix_paths_) {
    struct stat st {};
    if (::lstat(made.path.c_str(), &st) == 0 && st.st_dev == made.device && st.st_ino == made.inode) {
      ::unlink(made.path.c_str());
    }
  }
  unix_paths_.clear();
}

awaitable<void> Listeners::accept_tcp(TcpAcceptor& acceptor) {
  for (;;) {
    // Accepted straight into the session's socket on its network thread: no epoll registration made
    // only to be undone when a TCP socket is turned into a generic one.
    Socket socket(network_.next().get_executor());
    Socket::endpoint_type peer;
    boost::system::error_code ec;
    co_await acceptor.async_accept(socket, peer, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      co_await pause_after_accept_error(io_, ec, "accept");
      continue;
    }
    // Replies are written whole; Nagle would only hold back the next one behind an ACK.
    const int one = 1;
    (void)::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    on_accept_(std::move(socket), peer_address(peer));
  }
}

awaitable<void> Listeners::accept_unix(asio::local::stream_protocol::acceptor& acceptor) {
  for (;;) {
    Socket socket(network_.next().get_executor());
    boost::system::error_code ec;
    co_await acceptor.async_accept(socket, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      co_await pause_after_accept_error(io_, ec, "accept");
      continue;
    }
    on_accept_(std::move(socket), "local");
  }
}

}  // namespace letterbox
