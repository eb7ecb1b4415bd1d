#include "listeners.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cstring>
#include <stdexcept>

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

}  // namespace

void Listeners::bind(const std::vector<std::string>& listen, unsigned socket_mode, const ServerSettings& owner) {
  for (const auto& spec : listen) {
    boost::system::error_code ec;
    if (spec.starts_with("unix:")) {
      const std::string path = spec.substr(5);
      struct stat st {};
      if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(path + " exists and is not a socket");
        ::unlink(path.c_str());  // left behind by a previous run
      }
      auto acceptor = std::make_unique<asio::local::stream_protocol::acceptor>(io_);
      acceptor->open(asio::local::stream_protocol(), ec);
      if (!ec) acceptor->bind(asio::local::stream_protocol::endpoint(path), ec);
      if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) throw std::runtime_error("cannot listen on " + spec + ": " + ec.message());
      own_socket(path, socket_mode, owner);
      unix_.push_back(std::move(acceptor));
      continue;
    }
    const std::string rest = spec.substr(5);
    const auto colon = rest.rfind(':');
    std::string host = rest.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const auto port = static_cast<unsigned short>(std::stoul(rest.substr(colon + 1)));
    const auto address = asio::ip::make_address(host.empty() ? "127.0.0.1" : host, ec);
    if (ec) throw std::runtime_error("cannot listen on " + spec + ": bad address " + host);
    auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io_);
    const asio::ip::tcp::endpoint endpoint(address, port);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + spec + ": " + ec.message());
    tcp_.push_back(std::move(acceptor));
  }
}

void Listeners::start(OnAccept on_accept) {
  on_accept_ = std::move(on_accept);
  for (auto& a : tcp_) asio::co_spawn(io_, accept_tcp(*a), asio::detached);
  for (auto& a : unix_) asio::co_spawn(io_, accept_unix(*a), asio::detached);
}

void Listeners::close() {
  boost::system::error_code ignored;
  for (auto& a : tcp_) a->close(ignored);
  for (auto& a : unix_) {
    const auto path = a->local_endpoint(ignored).path();
    a->close(ignored);
    if (!path.empty()) ::unlink(path.c_str());
  }
}

awaitable<void> Listeners::accept_tcp(asio::ip::tcp::acceptor& acceptor) {
  for (;;) {
    auto strand = asio::make_strand(io_);
    boost::system::error_code ec;
    asio::ip::tcp::socket socket = co_await acceptor.async_accept(strand, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      spdlog::error("accept: {}", ec.message());
      continue;
    }
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    const auto remote = socket.remote_endpoint(ec);
    const auto protocol = remote.protocol();
    Socket generic(strand, asio::generic::stream_protocol(protocol.family(), protocol.protocol()), socket.release());
    on_accept_(std::move(generic), ec ? std::string("unknown") : remote.address().to_string());
  }
}

awaitable<void> Listeners::accept_unix(asio::local::stream_protocol::acceptor& acceptor) {
  for (;;) {
    auto strand = asio::make_strand(io_);
    boost::system::error_code ec;
    asio::local::stream_protocol::socket socket =
        co_await acceptor.async_accept(strand, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      spdlog::error("accept: {}", ec.message());
      continue;
    }
    Socket generic(strand, asio::generic::stream_protocol(AF_UNIX, 0), socket.release());
    on_accept_(std::move(generic), "local");
  }
}

}  // namespace letterbox
