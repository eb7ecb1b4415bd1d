#include "lmtp_session.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <mutex>

#include "letterbox/directory/recipient_resolver.hpp"
#include "letterbox/observe/delivery_log.hpp"
#include "letterbox/observe/metrics.hpp"
#include "lmtp_relay.hpp"
#include "on_pool.hpp"

namespace letterbox {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

constexpr std::size_t kSpoolBatch = 256 * 1024;  // message bytes gathered before a spool write on the pool

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return upper(a) == upper(b);
}

// "FROM:<addr> PARAMS" -> addr and params; false on bad syntax. Accepts "FROM: <addr>" too.
bool split_path(std::string_view args, std::string_view keyword, std::string& path, std::string& params) {
  if (args.size() < keyword.size() || !iequals(args.substr(0, keyword.size()), keyword)) return false;
  args.remove_prefix(keyword.size());
  while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
  if (args.empty() || args.front() != '<') return false;
  const auto close = args.find('>');
  if (close == std::string_view::npos) return false;
  path = std::string(args.substr(1, close - 1));
  args.remove_prefix(close + 1);
  if (!args.empty() && args.front() != ' ') return false;
  while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
  params = std::string(args);
  return true;
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    const auto sp = s.find(' ');
    if (!s.empty()) out.emplace_back(s.substr(0, sp));
    s.remove_prefix(sp == std::string_view::npos ? s.size() : sp);
  }
  return out;
}

bool parse_number(std::string_view text, std::uint64_t& out) {
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc{} && ptr == end;
}

// The outcome shared between the session and the pool threads delivering one message.
struct DeliveryBatch {
  std::mutex mutex;
  std::vector<std::optional<Outcome>> results;
  std::size_t remaining = 0;  // under `mutex` once the first delivery is posted
  bool all_done = false;      // touched on the session's strand only
};

// The time `bytes` may take at [server] min_data_rate. Bytes past max_message_size earn none: such a
// message is refused at its end anyway, and an endless DATA must not hold its session for ever. The cap
// keeps an absurd max_message_size from overflowing the clock.
std::chrono::steady_clock::duration rate_allowance(const ServerSettings& s, std::uint64_t bytes) {
  const double seconds = static_cast<double>(std::min(bytes, s.max_message_size)) / std::max(s.min_data_rate, 1U);
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(std::min(seconds, 1e8)));
}

// Where a proxied copy went, for the delivery log's mailbox field.
std::string relay_label(const std::string& host, unsigned port) {
  return "lmtp:" + host + ":" + std::to_string(port);
}

}  // namespace

LmtpSession::LmtpSession(Socket socket, ServerState& state, std::string id, std::string peer)
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
  waiting_for_input_ = true;
  idle_deadline_ = std::chrono::steady_clock::now() + runtime_->settings.server.idle_timeout;
  idle_timer_.cancel();
  boost::system::error_code ec;
  co_await write_all(data, ec);
  waiting_for_input_ = false;
  if (ec) closed_ = true;
}

awaitable<void> LmtpSession::watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    // Only time spent waiting on the client counts; while we work, sleep until read_more() or flush()
    // re-arms us (re-arming a deadline already passed would spin).
    idle_timer_.expires_at(waiting_for_input_ ? idle_deadline_ : std::chrono::steady_clock::time_point::max());
    boost::system::error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (closed_) break;
    if (waiting_for_input_ && std::chrono::steady_clock::now() >= idle_deadline_) {
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
  waiting_for_input_ = true;
  reading_command_ = parser_.in_command_mode() && !in_message_;
  // A SIGTERM that came while we were flushing a reply found no read to cancel: honour it before waiting
  // (otherwise the session, and the server's exit, waits for the client or idle_timeout).
  if (reading_command_ && shutdown_requested_) {
    reading_command_ = false;
    waiting_for_input_ = false;
    co_return false;
  }
  idle_deadline_ = read_deadline();
  idle_timer_.cancel();  // the watchdog re-arms with the new deadline
  const bool credited = credit_per_byte_read_ && !parser_.in_command_mode();
  boost::system::error_code ec;
  const std::size_t n = co_await read_some(ec);
  reading_command_ = false;
  waiting_for_input_ = false;
  if (ec) co_return false;
  if (credited) transfer_credit_ += n;
  parser_.feed(std::string_view(read_buffer_.data(), n));
  co_return true;
}

void LmtpSession::reply_timed_out() {
  // A client in the middle of a message may be sending, just too slowly: not "idle".
  const std::string what = parser_.in_command_mode() ? "Idle timeout" : "Timeout during data transfer";
  spdlog::info("session={} from {} closed: {}", id_, peer_, what);
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
    switch (event.kind) {
      case LmtpEvent::Kind::Command: open = co_await handle_command(event.text); break;
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
  }
  co_await flush();
  if (tls_ && !closed_ && !timed_out_) co_await end_tls();  // after a timeout no watchdog bounds the write
  closed_ = true;
  idle_timer_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
}

std::string LmtpSession::destination(const Accepted& accepted) const {
  if (accepted.recipient) return accepted.recipient->mailbox;
  return relay_label(accepted.relay_host, runtime_->settings.server.proxy_port);
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

void LmtpSession::handle_lhlo(std::string_view args) {
  if (words(args).size() != 1) {
    reply("501 5.5.4 Syntax: LHLO hostname");
    return;
  }
  helo_ = std::string(args);
  proxied_by_.clear();
  reset_transaction();
  runtime_ = state_.runtime();
  const auto& s = runtime_->settings.server;
  reply("250-" + runtime_->hostname);
  reply("250-PIPELINING");
  reply("250-ENHANCEDSTATUSCODES");
  reply("250-8BITMIME");
  reply("250-SIZE " + std::to_string(s.max_message_size));
  // Only a host that routes by the directory can be asked to relay what another host relayed.
  if (!runtime_->settings.ldap.host_attribute.empty()) reply("250-" + std::string(kProxiedExtension));
  if (tls_offered()) reply("250-STARTTLS");
  reply("250 CHUNKING");
}

bool LmtpSession::tls_offered() const {
  // Never on a UNIX socket: its client is on this host, and the socket's mode already says who it is.
  return peer_ != "local" && runtime_->tls && !tls_;
}

awaitable<bool> LmtpSession::handle_starttls(std::string_view args) {
  if (!args.empty()) {
    reply("501 5.5.4 Syntax: STARTTLS");
    co_return true;
  }
  if (tls_) {
    reply("503 5.5.1 TLS already active");
    co_return true;
  }
  if (!tls_offered()) {
    reply("502 5.5.1 STARTTLS not offered here");
    co_return true;
  }
  if (have_mail_) {
    reply("503 5.5.1 STARTTLS not allowed in a mail transaction");
    co_return true;
  }
  reply("220 2.0.0 Ready to start TLS");
  co_await flush();
  if (closed_) co_return false;
  // RFC 3207 section 5: whatever came in the clear after STARTTLS may have been injected by someone on
  // the path, and must not be taken as if it came over TLS.
  parser_.discard_input();
  tls_context_ = runtime_->tls;
  auto stream = std::make_unique<TlsStream>(socket_, *tls_context_);
  // A client that stalls in the handshake is as idle as one that stops sending.
  waiting_for_input_ = true;
  idle_deadline_ = std::chrono::steady_clock::now() + runtime_->settings.server.idle_timeout;
  idle_timer_.cancel();
  boost::system::error_code ec;
  co_await stream->async_handshake(TlsStream::server, asio::redirect_error(use_awaitable, ec));
  waiting_for_input_ = false;
  if (ec) {
    spdlog::warn("session={} from {} TLS handshake failed: {}", id_, peer_,
                 timed_out_ ? std::string("idle timeout") : ec.message());
    // Neither in the clear nor in TLS can anything more be said: the connection is closed without a reply.
    closed_ = true;
    co_return false;
  }
  tls_ = std::move(stream);
  SSL* ssl = tls_->native_handle();
  spdlog::info("session={} from {} TLS established: {} {}", id_, peer_, SSL_get_version(ssl), SSL_get_cipher_name(ssl));
  // RFC 3207 section 4.2: both sides forget what was said in the clear; the client sends LHLO again.
  helo_.clear();
  proxied_by_.clear();
  reset_transaction();
  co_return true;
}

awaitable<void> LmtpSession::end_tls() {
  // close_notify lets the client tell the end of the session from a cut connection. Its own close_notify
  // is not waited for (the server closes after 221, RFC 5321 4.1.1.10): marked as received, SSL_shutdown
  // has only to write ours.
  SSL* ssl = tls_->native_handle();
  SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
  waiting_for_input_ = true;  // as in flush(): a client that stops reading must not hold the session
  idle_deadline_ = std::chrono::steady_clock::now() + runtime_->settings.server.idle_timeout;
  idle_timer_.cancel();
  boost::system::error_code ignored;
  co_await tls_->async_shutdown(asio::redirect_error(use_awaitable, ignored));
  waiting_for_input_ = false;
}

void LmtpSession::handle_proxied(std::string_view args) {
  if (helo_.empty()) return reply("503 5.5.1 Send LHLO first");
  if (have_mail_) return reply("503 5.5.1 Not in a mail transaction");
  const auto w = words(args);
  const auto printable = [](const std::string& word) {
    return std::all_of(word.begin(), word.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  };
  if (w.size() != 1 || w[0].size() > 255 || !printable(w[0])) {
    return reply("501 5.5.4 Syntax: " + std::string(kProxiedExtension) + " hostname");
  }
  proxied_by_ = w[0];
  spdlog::info("session={} proxied here by {}", id_, proxied_by_);
  reply("250 2.0.0 OK");
}

void LmtpSession::handle_mail(std::string_view args) {
  if (helo_.empty()) return reply("503 5.5.1 Send LHLO first");
  if (runtime_->settings.server.tls_required && peer_ != "local" && !tls_) {
    return reply("530 5.7.0 Must issue a STARTTLS command first");
  }
  if (have_mail_) return reply("503 5.5.1 Nested MAIL command");
  std::string path;
  std::string params;
  if (!split_path(args, "FROM:", path, params)) return reply("501 5.5.4 Syntax: MAIL FROM:<address>");
  for (const auto& param : words(params)) {
    const auto eq = param.find('=');
    const auto name = upper(param.substr(0, eq));
    const auto value = eq == std::string::npos ? std::string() : param.substr(eq + 1);
    if (name == "SIZE") {
      std::uint64_t size = 0;
      if (!parse_number(value, size)) return reply("501 5.5.4 Bad SIZE parameter");
      if (size > runtime_->settings.server.max_message_size) return reply("552 5.3.4 Message too big");
    } else if (name == "BODY") {
      if (!iequals(value, "7BIT") && !iequals(value, "8BITMIME")) return reply("501 5.5.4 Bad BODY parameter");
    } else {
      return reply("555 5.5.4 Unsupported parameter " + param.substr(0, eq));
    }
  }
  // The sender is only logged and written into headers (made single-line there), and a 5xx here would
  // bounce mail the MTA has accepted for every recipient: anything printable passes.
  if (std::any_of(path.begin(), path.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return reply("501 5.1.7 Bad sender address syntax: control character");
  }
  runtime_ = state_.runtime();  // a reload takes effect from the next transaction
  have_mail_ = true;
  sender_ = path;
  transaction_start_ = std::chrono::steady_clock::now();
  ++transactions_;
  reply("250 2.1.0 Sender OK");
}

awaitable<void> LmtpSession::handle_rcpt(std::string_view args) {
  if (!have_mail_) {
    reply("503 5.5.1 Need MAIL before RCPT");
    co_return;
  }
  std::string path;
  std::string params;
  if (!split_path(args, "TO:", path, params)) {
    reply("501 5.5.4 Syntax: RCPT TO:<address>");
    co_return;
  }
  for (const auto& param : words(params)) {
    if (!upper(param).starts_with("ORCPT=")) {
      reply("555 5.5.4 Unsupported parameter " + param.substr(0, param.find('=')));
      co_return;
    }
  }
  if (++recipients_seen_ > runtime_->settings.server.max_recipients) {
    reply("452 4.5.3 Too many recipients");
    co_return;
  }
  std::string why;
  const auto address = parse_address(path, runtime_->settings.delivery.recipient_delimiter, why);
  if (!address) {
    reply("501 5.1.3 <" + path + "> Bad recipient address syntax: " + why);
    co_return;
  }
  for (std::size_t i = 0; i < accepted_.size(); ++i) {
    if (iequals(accepted_[i].shown, path)) {
      // Named twice: answered twice, delivered once.
      accepted_.push_back(Accepted{path, std::nullopt, i, {}});
      reply("250 2.1.5 <" + path + "> OK");
      co_return;
    }
  }
  auto runtime = runtime_;
  const Address& lookup_address = *address;  // lives in this coroutine frame across the co_await
  auto lookup_work = [&runtime, &lookup_address] {
    try {
      return runtime->directory.lookup(lookup_address);
    } catch (const std::exception& e) {  // an exception on the pool would end the whole process
      return Lookup{LookupKind::Unavailable, {}, std::string("lookup failed: ") + e.what(), false};
    }
  };
  const Lookup lookup = co_await on_pool(state_.pool(), lookup_work);
  auto resolved = resolve_recipient(runtime_->settings, *address, path, lookup);
  if (auto* refused = std::get_if<Outcome>(&resolved);
      refused != nullptr && refused->status == Status::MailboxElsewhere && runtime_->settings.server.proxy) {
    if (proxied_by_.empty()) {
      accepted_.push_back(Accepted{path, std::nullopt, 0, refused->host});
      reply("250 2.1.5 <" + path + "> OK");
      co_return;
    }
    // Two hosts whose directories disagree would pass the message between them for ever.
    resolved = routing_loop(refused->host, "proxied here by " + proxied_by_ + ", but " + refused->detail);
  }
  if (auto* refused = std::get_if<Outcome>(&resolved)) {
    const DeliveryRecord record{
        id_, sender_, path, "", 0, *refused, std::chrono::steady_clock::now() - transaction_start_};
    log_delivery(record);
    reply(lmtp_reply(*refused, path));
    co_return;
  }
  accepted_.push_back(Accepted{path, std::get<Recipient>(std::move(resolved)), 0, {}});
  reply("250 2.1.5 <" + path + "> OK");
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
      spdlog::error("spool write failed: {}", e.what());
      return false;
    }
  };
  const bool ok = co_await on_pool(state_.pool(), write);
  if (!ok) {
    spool_.reset();        // the message is answered 451 at its end
    spool_failed_ = true;  // and a later BDAT chunk must not start a new, truncated one
  }
}

awaitable<void> LmtpSession::finish_message(bool line_too_long) {
  in_message_ = false;
  co_await append_to_spool();
  const auto& settings = runtime_->settings;
  const bool too_big = spool_ && spool_->size() > settings.server.max_message_size;
  const auto started = std::chrono::steady_clock::now();

  std::vector<Outcome> outcomes(accepted_.size());
  const bool delivered_on_pool = spool_ && !line_too_long && !too_big;
  auto batch = std::make_shared<DeliveryBatch>();
  batch->results.resize(accepted_.size());
  if (!spool_) {
    for (auto& o : outcomes) o = make_outcome(Status::LocalError, "the spool could not be written");
  } else if (line_too_long || too_big) {
    for (auto& o : outcomes) o = make_outcome(too_big ? Status::MessageTooBig : Status::LineTooLong);
  } else {
    Envelope envelope{sender_, "from " + helo_ + " (" + peer_ + ")", id_ + "." + std::to_string(transactions_),
                      tls_ != nullptr};
    auto spool = spool_;
    auto runtime = runtime_;
    // Shared: a delivery still running past data_deadline signals a timer the session no longer waits on.
    auto done = std::make_shared<asio::steady_timer>(socket_.get_executor());
    done->expires_after(settings.server.data_deadline);
    auto executor = socket_.get_executor();
    // Called on the pool once results[i] is set for every index a task owns.
    auto finished = [batch, executor, timer = done](std::size_t count) {
      std::lock_guard lock(batch->mutex);
      batch->remaining -= count;
      if (batch->remaining == 0) {
        asio::post(executor, [batch, timer] {
          batch->all_done = true;
          timer->cancel();
        });
      }
    };
    // Proxied recipients go to their host together: one LMTP session per host and message.
    std::map<std::string, std::vector<std::size_t>> relays;
    for (std::size_t i = 0; i < accepted_.size(); ++i) {
      if (accepted_[i].recipient) ++batch->remaining;
      if (!accepted_[i].relay_host.empty()) {
        ++batch->remaining;
        relays[accepted_[i].relay_host].push_back(i);
      }
    }
    batch->all_done = batch->remaining == 0;
    for (std::size_t i = 0; i < accepted_.size(); ++i) {
      if (!accepted_[i].recipient) continue;
      // Logged here, on the pool: the line records what happened on disk (even after data_deadline),
      // and its write stays off the network threads.
      asio::post(state_.pool(), [batch, i, spool, runtime, envelope, recipient = *accepted_[i].recipient, finished,
                                 started, shown = accepted_[i].shown] {
        Outcome outcome;
        try {
          outcome = runtime->deliverer.deliver(*spool, envelope, recipient);
        } catch (const std::exception& e) {  // an exception on the pool would end the whole process
          outcome = make_outcome(Status::LocalError, std::string("delivery failed: ") + e.what());
        }
        log_delivery(DeliveryRecord{envelope.id, envelope.sender, shown, recipient.mailbox, spool->size(), outcome,
                                    std::chrono::steady_clock::now() - started});
        {
          std::lock_guard lock(batch->mutex);
          batch->results[i] = std::move(outcome);
        }
        finished(1);
      });
    }
    for (auto& [host, indexes] : relays) {
      RelayJob job{host, settings.server.proxy_port, settings.server.proxy_timeout, runtime_->hostname, sender_, {}};
      for (const auto i : indexes) job.recipients.push_back(accepted_[i].shown);
      asio::post(state_.pool(), [batch, indexes = indexes, spool, envelope, job = std::move(job), finished, started] {
        std::vector<Outcome> outcomes;
        try {
          outcomes = relay_message(job, *spool);
        } catch (const std::exception& e) {
          outcomes.assign(indexes.size(), host_unavailable(job.host, std::string("relay failed: ") + e.what()));
        }
        const auto where = relay_label(job.host, job.port);
        for (std::size_t k = 0; k < indexes.size(); ++k) {
          log_delivery(DeliveryRecord{envelope.id, envelope.sender, job.recipients[k], where, spool->size(),
                                      outcomes[k], std::chrono::steady_clock::now() - started});
        }
        {
          std::lock_guard lock(batch->mutex);
          for (std::size_t k = 0; k < indexes.size(); ++k) batch->results[indexes[k]] = std::move(outcomes[k]);
        }
        finished(indexes.size());
      });
    }
    // Not batch->remaining: the pool threads are counting it down (a data race ThreadSanitizer found).
    boost::system::error_code ec;
    while (!batch->all_done) {
      co_await done->async_wait(asio::redirect_error(use_awaitable, ec));
      if (!ec) break;  // data_deadline passed
    }
    std::lock_guard lock(batch->mutex);
    for (std::size_t i = 0; i < accepted_.size(); ++i) {
      if (accepted_[i].duplicate()) continue;
      if (batch->results[i]) {
        outcomes[i] = *batch->results[i];
        continue;
      }
      outcomes[i] = make_outcome(Status::LocalError,
                                 "still being delivered at data_deadline; its own log line follows when it ends");
      log_delivery(DeliveryRecord{envelope.id, sender_, accepted_[i].shown, destination(accepted_[i]), spool->size(),
                                  outcomes[i], std::chrono::steady_clock::now() - started});
    }
  }
  for (std::size_t i = 0; i < accepted_.size(); ++i) {
    const auto& a = accepted_[i];
    if (a.duplicate()) outcomes[i] = outcomes[a.same_as];
    reply(lmtp_reply(outcomes[i], a.shown));
    if (!a.duplicate() && !delivered_on_pool) {  // refused before any delivery began
      log_delivery(DeliveryRecord{id_ + "." + std::to_string(transactions_), sender_, a.shown, destination(a),
                                  spool_ ? spool_->size() : 0, outcomes[i],
                                  std::chrono::steady_clock::now() - started});
    }
  }
  // The pool threads still delivering past data_deadline hold their own references to the spool.
  batch.reset();
  reset_transaction();
}

bool LmtpSession::handle_bdat(std::string_view args) {
  const auto w = words(args);
  std::uint64_t size = 0;
  const bool last = w.size() == 2 && iequals(w[1], "LAST");
  if (w.empty() || w.size() > 2 || (w.size() == 2 && !last) || !parse_number(w[0], size)) {
    reply("501 5.5.4 Syntax: BDAT size [LAST]");
    return true;
  }
  const auto max = runtime_->settings.server.max_message_size;
  const std::uint64_t held = (spool_ ? spool_->size() : 0) + spool_buffer_.size();
  if (size > max || held > max - size) {
    // Its bytes cannot be skipped safely: reading them to discard them would take as long as the client
    // pleases (up to 2^64 - 1 of them), and reading what follows as commands would let message text act
    // as LMTP. Only closing keeps the framing.
    spdlog::info("session={} from {} BDAT {} over max_message_size: closing", id_, peer_, size);
    reply("552 5.3.4 Message too big");
    return false;
  }
  // The chunk's bytes are read either way, so a refused BDAT does not break the framing.
  in_message_ = true;
  chunk_size_ = size;
  chunk_last_ = last;
  if (!have_mail_ || accepted_.empty()) {
    chunk_refused_ = true;
    reply(have_mail_ ? "503 5.5.1 No valid recipients" : "503 5.5.1 Need MAIL before BDAT");
  } else if (!spool_ && !spool_failed_) {
    spool_ = std::make_shared<Spool>();
  }
  parser_.start_chunk(size);
  transfer_start_ = std::chrono::steady_clock::now();
  transfer_credit_ = size;
  credit_per_byte_read_ = false;
  return true;
}

awaitable<bool> LmtpSession::handle_command(const std::string& line) {
  const auto space = line.find(' ');
  const auto verb = upper(std::string_view(line).substr(0, space));
  const std::string_view args =
      space == std::string::npos ? std::string_view() : std::string_view(line).substr(space + 1);
  if (verb == "LHLO") {
    handle_lhlo(args);
  } else if (verb == "MAIL") {
    handle_mail(args);
  } else if (verb == "RCPT") {
    co_await handle_rcpt(args);
  } else if (verb == "DATA") {
    if (!args.empty()) {
      reply("501 5.5.4 Syntax: DATA");
    } else if (!have_mail_) {
      reply("503 5.5.1 Need MAIL before DATA");
    } else if (accepted_.empty()) {
      reply("503 5.5.1 No valid recipients");
    } else if (spool_ || spool_failed_) {
      reply("503 5.5.1 BDAT chunks already sent: DATA not allowed");  // RFC 3030
    } else {
      spool_ = std::make_shared<Spool>();
      in_message_ = true;
      reply("354 Start mail input; end with <CRLF>.<CRLF>");
      co_await flush();
      parser_.start_data();
      transfer_start_ = std::chrono::steady_clock::now();
      transfer_credit_ = 0;
      credit_per_byte_read_ = true;
    }
  } else if (verb == "BDAT") {
    co_return handle_bdat(args);
  } else if (verb == kProxiedExtension) {
    handle_proxied(args);
  } else if (verb == "STARTTLS") {
    co_return co_await handle_starttls(args);
  } else if (verb == "RSET") {
    reset_transaction();
    reply("250 2.0.0 OK");
  } else if (verb == "NOOP") {
    reply("250 2.0.0 OK");
  } else if (verb == "QUIT") {
    reply("221 2.0.0 " + runtime_->hostname + " closing connection");
    co_return false;
  } else if (verb == "VRFY") {
    reply("252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery");
  } else if (verb == "HELO" || verb == "EHLO") {
    reply("500 5.5.1 This is LMTP: use LHLO");
  } else {
    reply("500 5.5.1 Command unrecognized");
  }
  co_return true;
}

}  // namespace letterbox
