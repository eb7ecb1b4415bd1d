#include "managesieve_connection_loop.hpp"

#include <openssl/ssl.h>

#include "letterbox/observe/metrics.hpp"
#include "letterbox/util/log.hpp"
#include "managesieve_server.hpp"
#include "on_pool.hpp"

namespace letterbox {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

// A client on this host: a UNIX socket ("local"), or a loopback address (IPv4's 127.0.0.0/8, ::1, and
// 127.x.y.z as an IPv4-mapped IPv6 address). Its password never crosses a network.
bool is_loopback(const std::string& peer) {
  if (peer == "local") return true;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(peer, ec);
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

}  // namespace

ManageSieveConnectionLoop::ManageSieveConnectionLoop(Listeners::Socket socket, ManageSieveServer& server,
                                                     std::string id, std::string peer)
    : socket_(std::move(socket)),
      server_(server),
      runtime_(server.runtime()),
      id_(std::move(id)),
      peer_(std::move(peer)),
      parser_(ManageSieveSession::kMaxLiteralBeforeLogin),
      idle_timer_(socket_.get_executor()),
      delay_timer_(socket_.get_executor()) {
  ManageSieveConnection connection;
  connection.peer = peer_;
  connection.loopback = is_loopback(peer_);
  connection.failures_by_address = &server.auth_failures();
  connection.tls_available = runtime_->tls != nullptr;
  session_.emplace(runtime_->settings, runtime_->authenticator, std::move(connection));
  metrics().session_opened();
}

ManageSieveConnectionLoop::~ManageSieveConnectionLoop() {
  server_.session_ended();  // however the connection ended, an exception included
  metrics().session_closed();
}

void ManageSieveConnectionLoop::close() {
  if (closed_) return;
  closed_ = true;
  idle_timer_.cancel();
  delay_timer_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(Listeners::Socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void ManageSieveConnectionLoop::shut_down() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->reading_command_) self->close();
  });
}

void ManageSieveConnectionLoop::waiting_on_client(bool waiting, bool fresh_deadline) {
  waiting_ = waiting;
  if (waiting && fresh_deadline) idle_timer_.expires_after(kIdleTimeout);
}

awaitable<void> ManageSieveConnectionLoop::watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    boost::system::error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (closed_) break;
    if (ec) continue;  // re-armed
    if (waiting_) {
      log::info("managesieve session={} from {}: idle for {} min, closed", id_, peer_, kIdleTimeout.count());
      timed_out_ = true;
      close();
      break;
    }
    idle_timer_.expires_after(kIdleTimeout);  // it ran out while we worked: the next wait re-arms it
  }
}

awaitable<std::size_t> ManageSieveConnectionLoop::read_some(boost::system::error_code& ec) {
  const auto buffer = asio::buffer(buffer_);
  if (tls_) co_return co_await tls_->async_read_some(buffer, asio::redirect_error(use_awaitable, ec));
  co_return co_await socket_.async_read_some(buffer, asio::redirect_error(use_awaitable, ec));
}

awaitable<bool> ManageSieveConnectionLoop::send(const std::string& text) {
  if (closed_) co_return false;
  waiting_on_client(true);  // a client that stops reading is as idle as one that stops sending
  boost::system::error_code ec;
  if (tls_) {
    co_await asio::async_write(*tls_, asio::buffer(text), asio::redirect_error(use_awaitable, ec));
  } else {
    co_await asio::async_write(socket_, asio::buffer(text), asio::redirect_error(use_awaitable, ec));
  }
  waiting_on_client(false);
  if (ec) close();
  co_return !ec;
}

awaitable<bool> ManageSieveConnectionLoop::start_tls() {
  // RFC 5804 2.2: whatever came in the clear behind STARTTLS may have been injected on the path.
  parser_.discard_input();
  tls_context_ = runtime_->tls;
  auto stream = std::make_unique<TlsStream>(socket_, *tls_context_);
  waiting_on_client(true);
  boost::system::error_code ec;
  co_await stream->async_handshake(TlsStream::server, asio::redirect_error(use_awaitable, ec));
  waiting_on_client(false);
  if (ec) {
    log::warn("managesieve session={} from {} TLS handshake failed: {}", id_, peer_,
              timed_out_ ? std::string("idle timeout") : ec.message());
    co_return false;
  }
  tls_ = std::move(stream);
  SSL* ssl = tls_->native_handle();
  log::info("managesieve session={} from {} TLS established: {} {}", id_, peer_, SSL_get_version(ssl),
            SSL_get_cipher_name(ssl));
  co_return true;
}

awaitable<void> ManageSieveConnectionLoop::end_tls() {
  // Our close_notify only: the client's is not waited for once we have said BYE or OK to LOGOUT.
  SSL* ssl = tls_->native_handle();
  SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
  waiting_on_client(true);
  boost::system::error_code ignored;
  co_await tls_->async_shutdown(asio::redirect_error(use_awaitable, ignored));
  waiting_on_client(false);
}

awaitable<void> ManageSieveConnectionLoop::run() {
  auto self = shared_from_this();
  asio::co_spawn(
      socket_.get_executor(), [self]() -> awaitable<void> { co_await self->watchdog(); }, asio::detached);
  bool open = co_await send(session_->greeting());
  while (open && !closed_) {
    std::optional<ManageSieveLine> line = parser_.next();
    if (!line) {
      if (server_.stopping()) {
        (void)co_await send("BYE \"Server shutting down.\"\r\n");
        break;
      }
      reading_command_ = parser_.buffered() == 0;
      // Only a new command starts a new deadline: the rest of one must come within the one it has.
      waiting_on_client(true, reading_command_);
      boost::system::error_code ec;
      const std::size_t n = co_await read_some(ec);
      waiting_on_client(false);
      reading_command_ = false;
      if (ec || closed_) break;
      parser_.feed(std::string_view(buffer_.data(), n));
      continue;
    }
    const ManageSieveLine& command = *line;  // lives in this frame across the co_await
    auto work = [this, &command]() -> ManageSieveStep {
      try {
        return session_->handle(command, parser_);
      } catch (const std::exception& e) {  // an exception on the pool would end the whole process
        log::error("managesieve session={} from {}: {} failed: {}", id_, peer_, command.name, e.what());
        return {"BYE \"Internal error.\"\r\n", ManageSieveStep::Next::Close, {}};
      }
    };
    const ManageSieveStep step = co_await on_pool(server_.pool(), work);
    if (step.delay > Duration::zero()) {
      delay_timer_.expires_after(step.delay);
      boost::system::error_code ignored;
      co_await delay_timer_.async_wait(asio::redirect_error(use_awaitable, ignored));
    }
    open = co_await send(step.response);
    if (!open) break;
    switch (step.next) {
      case ManageSieveStep::Next::Read: break;
      case ManageSieveStep::Next::Close: open = false; break;
      case ManageSieveStep::Next::StartTls:
        open = co_await start_tls();
        if (open) open = co_await send(session_->tls_started());
        break;
    }
  }
  if (tls_ && !closed_ && !timed_out_) co_await end_tls();
  close();
}

}  // namespace letterbox
