#include "lmtp_session.hpp"

#include <openssl/ssl.h>

#include <algorithm>

#include "letterbox/observe/metrics.hpp"
#include "letterbox/util/log.hpp"
#include "on_pool.hpp"

// The session's loop and its I/O: reading with deadlines, writing replies, the watchdog, the end of the
// TLS stream, and the message text on its way to the spool. The commands are in lmtp_commands.cpp, the
// delivery of a finished message in lmtp_delivery.cpp.
namespace letterbox {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

constexpr std::size_t kSpoolBatch = 256 * 1024;  // message bytes gathered before a spool write on the pool

// The time `bytes` may take at [server] min_data_rate. Bytes past max_message_size earn none: such a
// message is refused at its end anyway, and an endless DATA must not hold its session for ever. The cap
// keeps an absurd max_message_size from overflowing the clock.
std::chrono::steady_clock::duration rate_allowance(const ServerSettings& s, std::uint64_t bytes) {
  const double seconds = static_cast<double>(std::min(bytes, s.max_message_size)) / std::max(s.min_data_rate, 1U);
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(std::min(seconds, 1e8)));
}

}  // namespace

LmtpSession::LmtpSession(Socket socket, LmtpServerState& state, std::string id, std::string peer)
    : socket_(std::move(socket)),
      state_(state),
      runtime_(state.runtime()),
      id_(std::move(id)),
      peer_(std::move(peer)),
      idle_timer_(socket_.get_executor()) {
  ++state_.sessions();
  metrics().session_opened();
}

LmtpSession::~LmtpSession() {
  --state_.sessions();
  metrics().session_closed();
}

void LmtpSession::reply(std::string_view line) {
  out_ += line;
  out_ += "\r\n";
}

awaitable<std::size_t> LmtpSession::read_some(boost::system::error_code& ec) {
  const auto buffer = asio::buffer(read_buffer_);
  if (tls_) co_return co_await tls_->async_read_some(buffer, asio::redirect_error(use_awaitable, ec));
  co_return co_await socket_.async_read_some(buffer, asio::redirect_error(use_awaitable, ec));
}

awaitable<void> LmtpSession::write_all(std::string_view data, boost::system::error_code& ec) {
  if (tls_) {
    co_await asio::async_write(*tls_, asio::buffer(data), asio::redirect_error(use_awaitable, ec));
  } else {
    co_await asio::async_write(socket_, asio::buffer(data), asio::redirect_error(use_awaitable, ec));
  }
}

awaitable<void> LmtpSession::flush() {
  if (out_.empty() || closed_) co_return;
  std::string data;
  data.swap(out_);
  // A client that stops reading our replies is as idle as one that stops sending.
  start_waiting_on_client(std::chrono::steady_clock::now() + runtime_->settings.server.idle_timeout);
  boost::system::error_code ec;
  co_await write_all(data, ec);
  waiting_for_input_ = false;
  if (ec || timed_out_) closed_ = true;
}

void LmtpSession::start_waiting_on_client(std::chrono::steady_clock::time_point deadline) {
  waiting_for_input_ = true;
  idle_deadline_ = deadline;
  // A later deadline is found when the timer fires and is re-armed then: re-arming on every command
  // would wake the watchdog and move the timer twice per line.
  if (deadline < watchdog_expiry_) idle_timer_.cancel();
}

awaitable<void> LmtpSession::watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    // Only time spent waiting on the client counts; while we work, sleep until a wait on the client
    // re-arms us (re-arming a deadline already passed would spin).
    watchdog_expiry_ = waiting_for_input_ ? idle_deadline_ : std::chrono::steady_clock::time_point::max();
    idle_timer_.expires_at(watchdog_expiry_);
    boost::system::error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (closed_) break;
    if (waiting_for_input_ && std::chrono::steady_clock::now() >= idle_deadline_) {
      // The read or write may have completed in the same instant, with its handler queued behind ours: the
      // cancel then finds nothing, so every wait on the client also checks timed_out_ when it resumes.
      timed_out_ = true;
      socket_.cancel();
      break;
    }
  }
}

void LmtpSession::abandon() {
  closed_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);  // the MTA sees a lost connection and retries every recipient not yet answered
  idle_timer_.cancel();
}

void LmtpSession::shut_down() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->shutdown_requested_ = true;
    if (self->reading_command_ && !self->in_message_) self->socket_.cancel();
  });
}

std::chrono::steady_clock::time_point LmtpSession::read_deadline() {
  const auto& s = runtime_->settings.server;
  const auto now = std::chrono::steady_clock::now();
  if (parser_.in_command_mode()) {
    if (!command_deadline_armed_) command_deadline_ = now + s.idle_timeout;
    command_deadline_armed_ = true;
    return command_deadline_;
  }
  // A per-read timeout would let a client sending a byte a second hold the session for ever. As with
  // Postfix's smtpd_min_data_rate, a client gone silent still gets no more than idle_timeout.
  return std::min(transfer_start_ + s.idle_timeout + rate_allowance(s, transfer_credit_), now + s.idle_timeout);
}

awaitable<bool> LmtpSession::read_more() {
  // Any read may time out (a client stalled in the middle of DATA too); only a read for the next
  // command may be interrupted by SIGTERM.
  reading_command_ = parser_.in_command_mode() && !in_message_;
  // A SIGTERM that came while we were flushing a reply found no read to cancel: honour it before waiting
  // (otherwise the session, and the server's exit, waits for the client or idle_timeout).
  if (reading_command_ && shutdown_requested_) {
    reading_command_ = false;
    co_return false;
  }
  start_waiting_on_client(read_deadline());
  const bool credited = credit_per_byte_read_ && !parser_.in_command_mode();
  boost::system::error_code ec;
  const std::size_t n = co_await read_some(ec);
  reading_command_ = false;
  waiting_for_input_ = false;
  if (ec || timed_out_) co_return false;
  if (credited) transfer_credit_ += n;
  parser_.feed(std::string_view(read_buffer_.data(), n));
  co_return true;
}

void LmtpSession::reply_timed_out() {
  // A client in the middle of a message may be sending, just too slowly: not "idle".
  const std::string what = parser_.in_command_mode() ? "Idle timeout" : "Timeout during data transfer";
  log::info("session={} from {} closed: {}", id_, peer_, what);
  reply("421 4.4.2 " + runtime_->hostname + " " + what + ", closing connection");
}

awaitable<void> LmtpSession::run() {
  auto self = shared_from_this();
  idle_deadline_ = std::chrono::steady_clock::now() + runtime_->settings.server.idle_timeout;
  asio::co_spawn(
      socket_.get_executor(), [self]() -> awaitable<void> { co_await self->watchdog(); }, asio::detached);
  reply("220 " + runtime_->hostname + " LMTP Letterbox ready");
  co_await flush();
  bool open = !closed_;
  while (open) {
    if (shutdown_requested_ && !in_message_ && !parser_.has_event()) {
      reply("421 4.3.2 " + runtime_->hostname + " Service shutting down, closing connection");
      break;
    }
    if (!parser_.has_event()) {
      co_await flush();  // everything answered so far goes out before we wait
      if (closed_ || !co_await read_more()) {
        if (timed_out_) reply_timed_out();
        if (shutdown_requested_)
          reply("421 4.3.2 " + runtime_->hostname + " Service shutting down, closing connection");
        break;
      }
      continue;
    }
    LmtpEvent event = parser_.next_event();
    command_deadline_armed_ = false;  // the next command line gets its own idle_timeout
    open = co_await handle_event(event);
  }
  co_await flush();
  if (tls_ && !closed_ && !timed_out_) co_await end_tls();  // after a timeout no watchdog bounds the write
  closed_ = true;
  idle_timer_.cancel();
  // shutdown() first: a close() with unread input (bytes a client sent after its last command, or while
  // it timed out) resets the connection, and a client may then lose our last reply (the 421) unread.
  // shutdown() sends the FIN behind that reply.
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
}

awaitable<bool> LmtpSession::handle_event(const LmtpEvent& event) {
  switch (event.kind) {
    case LmtpEvent::Kind::Command: co_return co_await handle_command(event.text);
    case LmtpEvent::Kind::LineTooLong: reply("500 5.5.2 Line too long"); break;
    case LmtpEvent::Kind::BadCommandLine: reply("500 5.5.2 Bare CR or NUL in command line"); break;
    case LmtpEvent::Kind::MessageText:
      if (!chunk_refused_) {
        spool_buffer_ += event.text;
        if (spool_buffer_.size() >= kSpoolBatch) co_await append_to_spool();
      }
      break;
    case LmtpEvent::Kind::MessageEnd: co_await finish_message(event.line_too_long); break;
    case LmtpEvent::Kind::ChunkEnd:
      if (chunk_refused_) {
        chunk_refused_ = false;
        in_message_ = false;
        (void)parser_.finish_chunks();  // a CR held back from refused bytes must not start the next chunk
      } else if (chunk_last_) {
        spool_buffer_ += parser_.finish_chunks();
        co_await finish_message(false);
      } else {
        reply("250 2.0.0 " + std::to_string(chunk_size_) + " octets received");
      }
      break;
  }
  co_return true;
}

void LmtpSession::reset_transaction() {
  have_mail_ = false;
  sender_.clear();
  accepted_.clear();
  recipients_seen_ = 0;
  spool_.reset();
  spool_failed_ = false;
  spool_buffer_.clear();
  (void)parser_.finish_chunks();  // RSET in the middle of BDAT: no CR carried into the next message
  in_message_ = false;
  chunk_last_ = false;
}

bool LmtpSession::tls_offered() const {
  // Never on a UNIX socket: its client is on this host, and the socket's mode already says who it is.
  return peer_ != "local" && runtime_->tls && !tls_;
}

awaitable<void> LmtpSession::end_tls() {
  // close_notify lets the client tell the end of the session from a cut connection. Its own close_notify
  // is not waited for (the server closes after 221, RFC 5321 4.1.1.10): marked as received, SSL_shutdown
  // has only to write ours.
  SSL* ssl = tls_->native_handle();
  SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
  // As in flush(): a client that stops reading must not hold the session.
  start_waiting_on_client(std::chrono::steady_clock::now() + runtime_->settings.server.idle_timeout);
  boost::system::error_code ignored;
  co_await tls_->async_shutdown(asio::redirect_error(use_awaitable, ignored));
  waiting_for_input_ = false;
}

awaitable<void> LmtpSession::append_to_spool() {
  if (!spool_) spool_buffer_.clear();  // the spool failed: the rest of the message is read and dropped
  if (spool_buffer_.empty()) co_return;
  std::string text;
  text.swap(spool_buffer_);
  auto spool = spool_;
  auto write = [&spool, &text] {
    try {
      spool->append(text);
      return true;
    } catch (const std::exception& e) {
      log::error("spool write failed: {}", e.what());
      return false;
    }
  };
  // What stays in memory is written here (nothing to wait on, no trip to the pool); a file, on the pool.
  bool ok = false;
  if (spool->fits_in_memory(text.size())) {
    ok = write();
  } else {
    ok = co_await on_pool(state_.pool(), write);
  }
  if (!ok) {
    spool_.reset();        // the message is answered 451 at its end
    spool_failed_ = true;  // and a later BDAT chunk must not start a new, truncated one
  }
}

}  // namespace letterbox
