// LmtpSession's command handlers: one function per LMTP command, each answering with reply(). What a
// finished message becomes is in lmtp_delivery.cpp.
#include <openssl/ssl.h>

#include <algorithm>

#include "letterbox/directory/recipient_resolver.hpp"
#include "letterbox/observe/delivery_log.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/text.hpp"
#include "lmtp_relay.hpp"
#include "lmtp_session.hpp"
#include "on_pool.hpp"

namespace letterbox {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

// "FROM:<addr> PARAMS" -> addr and params; false on bad syntax. Accepts "FROM: <addr>" too.
bool split_path(std::string_view args, std::string_view keyword, std::string& path, std::string& params) {
  if (args.size() < keyword.size() || !iequals_ascii(args.substr(0, keyword.size()), keyword)) return false;
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
  return split_words(s, " ");
}

}  // namespace

awaitable<bool> LmtpSession::handle_command(const std::string& line) {
  const auto space = line.find(' ');
  const auto verb = ascii_upper(std::string_view(line).substr(0, space));
  const std::string_view args =
      space == std::string::npos ? std::string_view() : std::string_view(line).substr(space + 1);
  if (verb == "LHLO") {
    handle_lhlo(args);
  } else if (verb == "MAIL") {
    handle_mail(args);
  } else if (verb == "RCPT") {
    co_await handle_rcpt(args);
  } else if (verb == "DATA") {
    co_await handle_data(args);
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
    const auto name = ascii_upper(param.substr(0, eq));
    const auto value = eq == std::string::npos ? std::string() : param.substr(eq + 1);
    if (name == "SIZE") {
      const auto size = parse_decimal(value);
      if (!size) return reply("501 5.5.4 Bad SIZE parameter");
      if (*size > runtime_->settings.server.max_message_size) return reply("552 5.3.4 Message too big");
    } else if (name == "BODY") {
      if (!iequals_ascii(value, "7BIT") && !iequals_ascii(value, "8BITMIME"))
        return reply("501 5.5.4 Bad BODY parameter");
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
    if (!ascii_upper(param).starts_with("ORCPT=")) {
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
    if (iequals_ascii(accepted_[i].shown, path)) {
      // Named twice: answered twice, delivered once.
      accepted_.push_back(Accepted{path, std::nullopt, i, {}});
      reply("250 2.1.5 <" + path + "> OK");
      co_return;
    }
  }
  co_await accept_recipient(path, *address);
}

// The directory's word on a well-formed recipient: accepted for delivery here or for relaying, or refused
// with its outcome (logged, as a delivery that never began).
awaitable<void> LmtpSession::accept_recipient(const std::string& path, const Address& address) {
  auto runtime = runtime_;
  const Address& lookup_address = address;  // lives in the caller's coroutine frame across the co_await
  auto lookup_work = [&runtime, &lookup_address] {
    try {
      return runtime->directory.lookup(lookup_address);
    } catch (const std::exception& e) {  // an exception on the pool would end the whole process
      return Lookup{LookupKind::Unavailable, {}, std::string("lookup failed: ") + e.what(), false};
    }
  };
  // A fresh cache entry is memory (the shared cache is a mapped file): answered here, without the two
  // thread hand-offs of a trip to the pool. Only LDAP is waited on there.
  std::optional<Lookup> at_hand;
  try {
    at_hand = runtime->directory.lookup_at_hand(lookup_address);
  } catch (const std::exception& e) {
    log::warn("session={} cache lookup of <{}> failed, asking the directory: {}", id_, path, e.what());
  }
  Lookup lookup;
  if (at_hand) {
    lookup = std::move(*at_hand);
  } else {
    lookup = co_await on_pool(state_.pool(), lookup_work);
  }
  auto resolved = resolve_recipient(runtime_->settings, address, path, lookup);
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

awaitable<void> LmtpSession::handle_data(std::string_view args) {
  if (!args.empty()) {
    reply("501 5.5.4 Syntax: DATA");
  } else if (!have_mail_) {
    reply("503 5.5.1 Need MAIL before DATA");
  } else if (accepted_.empty()) {
    reply("503 5.5.1 No valid recipients");
  } else if (spool_ || spool_failed_) {
    reply("503 5.5.1 BDAT chunks already sent: DATA not allowed");  // RFC 3030
  } else {
    spool_ = std::make_shared<Spool>(runtime_->spool_directory);
    in_message_ = true;
    reply("354 Start mail input; end with <CRLF>.<CRLF>");
    co_await flush();
    parser_.start_data();
    transfer_start_ = std::chrono::steady_clock::now();
    transfer_credit_ = 0;
    credit_per_byte_read_ = true;
  }
}

bool LmtpSession::handle_bdat(std::string_view args) {
  const auto w = words(args);
  const bool last = w.size() == 2 && iequals_ascii(w[1], "LAST");
  const auto parsed = w.empty() ? std::nullopt : parse_decimal(w[0]);
  if (w.empty() || w.size() > 2 || (w.size() == 2 && !last) || !parsed) {
    reply("501 5.5.4 Syntax: BDAT size [LAST]");
    return true;
  }
  const std::uint64_t size = *parsed;
  const auto max = runtime_->settings.server.max_message_size;
  const std::uint64_t held = (spool_ ? spool_->size() : 0) + spool_buffer_.size();
  if (size > max || held > max - size) {
    // Its bytes cannot be skipped safely: reading them to discard them would take as long as the client
    // pleases (up to 2^64 - 1 of them), and reading what follows as commands would let message text act
    // as LMTP. Only closing keeps the framing.
    log::info("session={} from {} BDAT {} over max_message_size: closing", id_, peer_, size);
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
    spool_ = std::make_shared<Spool>(runtime_->spool_directory);
  }
  parser_.start_chunk(size);
  transfer_start_ = std::chrono::steady_clock::now();
  transfer_credit_ = size;
  credit_per_byte_read_ = false;
  return true;
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
  log::info("session={} proxied here by {}", id_, proxied_by_);
  reply("250 2.0.0 OK");
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
  start_waiting_on_client(std::chrono::steady_clock::now() + runtime_->settings.server.idle_timeout);
  boost::system::error_code ec;
  co_await stream->async_handshake(TlsStream::server, asio::redirect_error(use_awaitable, ec));
  waiting_for_input_ = false;
  if (ec || timed_out_) {
    log::warn("session={} from {} TLS handshake failed: {}", id_, peer_,
              timed_out_ ? std::string("idle timeout") : ec.message());
    // Neither in the clear nor in TLS can anything more be said: the connection is closed without a reply.
    closed_ = true;
    co_return false;
  }
  tls_ = std::move(stream);
  SSL* ssl = tls_->native_handle();
  log::info("session={} from {} TLS established: {} {}", id_, peer_, SSL_get_version(ssl), SSL_get_cipher_name(ssl));
  // RFC 3207 section 4.2: both sides forget what was said in the clear; the client sends LHLO again.
  helo_.clear();
  proxied_by_.clear();
  reset_transaction();
  co_return true;
}

}  // namespace letterbox
