#include "lmtp_server.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cstring>
#include <stdexcept>

#include "letterbox/logging.hpp"

namespace letterbox {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

// The UNIX socket belongs to [server] user/group when we start as root, so Postfix (in that group) can
// connect once we have dropped root.
void own_socket(const std::string& path, const ServerSettings& server) {
  if (::chmod(path.c_str(), server.socket_mode) != 0) {
    throw std::runtime_error("cannot chmod " + path + ": " + std::strerror(errno));
  }
  if (::geteuid() != 0) return;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  if (const passwd* pw = getpwnam(server.user.c_str())) uid = pw->pw_uid;
  if (const group* gr = getgrnam(server.group.c_str())) gid = gr->gr_gid;
  if (::chown(path.c_str(), uid, gid) != 0) {
    throw std::runtime_error("cannot chown " + path + ": " + std::strerror(errno));
  }
}

}  // namespace

LmtpServer::LmtpServer(asio::io_context& io, Settings settings, std::string config_file, unsigned worker_threads)
    : io_(io), config_file_(std::move(config_file)), state_(std::move(settings), worker_threads) {}

void LmtpServer::bind() {
  const auto settings = state_.runtime()->settings;
  for (const auto& listen : settings.server.listen) {
    if (listen.starts_with("unix:")) {
      const std::string path = listen.substr(5);
      struct stat st {};
      if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(path + " exists and is not a socket");
        ::unlink(path.c_str());  // left behind by a previous run
      }
      auto acceptor = std::make_unique<asio::local::stream_protocol::acceptor>(io_);
      boost::system::error_code ec;
      acceptor->open(asio::local::stream_protocol(), ec);
      if (!ec) acceptor->bind(asio::local::stream_protocol::endpoint(path), ec);
      if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) throw std::runtime_error("cannot listen on " + listen + ": " + ec.message());
      own_socket(path, settings.server);
      unix_.push_back(std::move(acceptor));
    } else {
      const std::string rest = listen.substr(5);
      const auto colon = rest.rfind(':');
      std::string host = rest.substr(0, colon);
      if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
      const auto port = static_cast<unsigned short>(std::stoul(rest.substr(colon + 1)));
      boost::system::error_code ec;
      const auto address = asio::ip::make_address(host.empty() ? "127.0.0.1" : host, ec);
      if (ec) throw std::runtime_error("cannot listen on " + listen + ": bad address " + host);
      auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io_);
      const asio::ip::tcp::endpoint endpoint(address, port);
      acceptor->open(endpoint.protocol(), ec);
      if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) acceptor->bind(endpoint, ec);
      if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) throw std::runtime_error("cannot listen on " + listen + ": " + ec.message());
      tcp_.push_back(std::move(acceptor));
    }
  }
}

void LmtpServer::start() {
  state_.start_workers();
  for (auto& a : tcp_) asio::co_spawn(io_, accept_tcp(*a), asio::detached);
  for (auto& a : unix_) asio::co_spawn(io_, accept_unix(*a), asio::detached);
}

void LmtpServer::begin(LmtpSession::Socket socket, std::string peer) {
  const auto& server = state_.runtime()->settings.server;
  const std::string id = std::to_string(::getpid()) + "-" + std::to_string(++next_id_);
  if (state_.sessions() >= server.max_sessions || state_.stopping()) {
    // Told why, then closed; the MTA tries again later.
    auto refused = std::make_shared<LmtpSession::Socket>(std::move(socket));
    auto text = std::make_shared<std::string>("421 4.3.2 " + state_.runtime()->hostname +
                                              " Too many sessions, try again later\r\n");
    asio::async_write(*refused, asio::buffer(*text), [refused, text](boost::system::error_code, std::size_t) {
      boost::system::error_code ignored;
      refused->shutdown(LmtpSession::Socket::shutdown_both, ignored);
      refused->close(ignored);
    });
    spdlog::warn("session={} from {} refused: max_sessions ({}) reached", id, peer, server.max_sessions);
    return;
  }
  auto session = std::make_shared<LmtpSession>(std::move(socket), state_, id, std::move(peer));
  {
    std::lock_guard lock(sessions_mutex_);
    std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
    sessions_.push_back(session);
  }
  // The spawned function owns the session: nothing else keeps it alive until its coroutine starts.
  auto executor = session->executor();
  asio::co_spawn(
      executor, [session]() -> awaitable<void> { co_await session->run(); },
      [session, id](const std::exception_ptr& error) {
        if (!error) return;
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          spdlog::error("session {} ended on an unexpected error: {}", id, e.what());
        } catch (...) {
          spdlog::error("session {} ended on an unexpected error", id);
        }
        asio::post(session->executor(), [session] { session->abandon(); });
      });
}

awaitable<void> LmtpServer::accept_tcp(asio::ip::tcp::acceptor& acceptor) {
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
    LmtpSession::Socket generic(strand, asio::generic::stream_protocol(protocol.family(), protocol.protocol()),
                                socket.release());
    begin(std::move(generic), ec ? std::string("unknown") : remote.address().to_string());
  }
}

awaitable<void> LmtpServer::accept_unix(asio::local::stream_protocol::acceptor& acceptor) {
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
    LmtpSession::Socket generic(strand, asio::generic::stream_protocol(AF_UNIX, 0), socket.release());
    begin(std::move(generic), "local");
  }
}

void LmtpServer::stop() {
  spdlog::info("stopping: no new sessions; deliveries in flight finish");
  state_.stopping() = true;
  boost::system::error_code ignored;
  for (auto& a : tcp_) a->close(ignored);
  for (auto& a : unix_) {
    const auto path = a->local_endpoint(ignored).path();
    a->close(ignored);
    if (!path.empty()) ::unlink(path.c_str());
  }
  std::lock_guard lock(sessions_mutex_);
  for (auto& w : sessions_) {
    if (auto s = w.lock()) s->shut_down();
  }
}

void LmtpServer::reload() {
  try {
    Settings fresh = load_config(config_file_);
    if (fresh.server.listen != state_.runtime()->settings.server.listen) {
      spdlog::warn("reload: [server] listen changed; it takes effect at the next restart");
    }
    setup_logging(fresh.log, "letterbox-lmtpd");
    state_.replace_runtime(std::move(fresh));
    spdlog::info("reloaded {}", config_file_);
  } catch (const std::exception& e) {
    spdlog::error("reload refused, keeping the running configuration: {}", e.what());
  }
}

}  // namespace letterbox
