#include "letterbox/mail/outcome.hpp"

#include <sysexits.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace letterbox {
namespace {

struct Row {
  Status status;
  int code;
  std::string_view enhanced;
  std::string_view text;
  int exit_code;
  std::string_view name;
};

// letterbox.conf(5)'s REPLY CODES, in its order, and the rows letterbox-lmtpd(8) DIAGNOSTICS adds. A temporary
// condition is always 4xx / EX_TEMPFAIL.
constexpr std::array kTable{
    Row{Status::Delivered, 250, "2.0.0", "Delivered", EX_OK, "delivered"},
    Row{Status::UserUnknown, 550, "5.1.1", "User unknown", EX_NOUSER, "user-unknown"},
    Row{Status::MailboxDisabled, 550, "5.2.1", "Mailbox disabled", EX_NOPERM, "mailbox-disabled"},
    Row{Status::MailboxPending, 450, "4.2.1", "Mailbox temporarily unavailable", EX_TEMPFAIL, "mailbox-pending"},
    Row{Status::DirectoryUnavailable, 450, "4.4.3", "Directory unavailable, try again later", EX_TEMPFAIL,
        "directory-unavailable"},
    Row{Status::MailboxLocked, 450, "4.2.0", "Mailbox locked, try again later", EX_TEMPFAIL, "mailbox-locked"},
    Row{Status::MailboxFull, 450, "4.2.2", "Mailbox full", EX_TEMPFAIL, "mailbox-full"},
    Row{Status::DiskFull, 452, "4.3.1", "Insufficient system storage", EX_TEMPFAIL, "disk-full"},
    Row{Status::LocalError, 451, "4.3.0", "Local delivery error", EX_TEMPFAIL, "local-error"},
    Row{Status::MessageTooBig, 552, "5.3.4", "Message too big", EX_UNAVAILABLE, "message-too-big"},
    Row{Status::LineTooLong, 500, "5.5.2", "Line too long", EX_DATAERR, "line-too-long"},
    // Temporary: the MTA retries, so a mailbox moved between hosts loses nothing while the routing catches up.
    Row{Status::MailboxElsewhere, 450, "4.4.4", "Mailbox is on host", EX_TEMPFAIL, "mailbox-elsewhere"},
    Row{Status::RoutingLoop, 450, "4.4.6", "Routing loop, mailbox is on host", EX_TEMPFAIL, "routing-loop"},
    Row{Status::HostUnavailable, 451, "4.4.1", "No answer from mailbox host", EX_TEMPFAIL, "host-unavailable"},
    // Its code and text are the other host's; the row only names it.
    Row{Status::Relayed, 451, "4.4.0", "Relayed", EX_TEMPFAIL, "relayed"},
    // RFC 5429 §2.1: a refusal at the protocol level is 550 5.7.1; the text is the script's reason.
    Row{Status::Rejected, 550, "5.7.1", "Rejected by the recipient's filter", EX_NOPERM, "rejected"},
};

const Row& row(Status status) {
  for (const auto& r : kTable) {
    if (r.status == status) return r;
  }
  return kTable[8];  // unreachable for a valid enum; LocalError is the safe (temporary) answer
}

}  // namespace

Outcome make_outcome(Status status, std::string detail, QuotaFullReply quota_reply) {
  const Row& r = row(status);
  Outcome o{status, r.code, r.enhanced, r.text, std::move(detail), {}, {}, {}};
  if (status == Status::MailboxFull) {
    switch (quota_reply) {
      case QuotaFullReply::Retry450: break;
      case QuotaFullReply::Retry452: o.code = 452; break;
      case QuotaFullReply::Bounce552:
        o.code = 552;
        o.enhanced = "5.2.2";
        break;
    }
  }
  return o;
}

namespace {

// The outcomes whose reply ends with the host the directory names.
Outcome naming_host(Status status, std::string host, std::string detail) {
  auto outcome = make_outcome(status, std::move(detail));
  outcome.host = std::move(host);
  return outcome;
}

}  // namespace

Outcome mailbox_elsewhere(std::string host, std::string detail) {
  return naming_host(Status::MailboxElsewhere, std::move(host), std::move(detail));
}

Outcome routing_loop(std::string host, std::string detail) {
  return naming_host(Status::RoutingLoop, std::move(host), std::move(detail));
}

Outcome host_unavailable(std::string host, std::string detail) {
  return naming_host(Status::HostUnavailable, std::move(host), std::move(detail));
}

Outcome relayed(std::string reply_line, std::string host) {
  // "250 2.1.5 <rcpt> text": the code, then an enhanced code when the other host sends one.
  int code = 0;
  const auto [end, ec] =
      std::from_chars(reply_line.data(), reply_line.data() + std::min<std::size_t>(3, reply_line.size()), code);
  if (ec != std::errc{} || end != reply_line.data() + 3 || code < 200 || code > 599) {
    return host_unavailable(std::move(host), "unreadable reply: " + reply_line.substr(0, 200));
  }
  std::string_view rest(reply_line);
  rest.remove_prefix(std::min<std::size_t>(4, rest.size()));
  const auto enhanced = rest.substr(0, rest.find(' '));
  Outcome outcome = make_outcome(Status::Relayed, "relayed to " + host);
  outcome.code = code;
  for (const auto& r : kTable) {
    if (r.code == code && r.enhanced == enhanced && r.status != Status::Relayed) {
      outcome.status = r.status;
      outcome.enhanced = r.enhanced;
      outcome.text = r.text;
      break;
    }
  }
  outcome.reply = std::move(reply_line);
  outcome.host = std::move(host);
  return outcome;
}

std::string sanitize_reason(std::string_view reason) {
  std::string out;
  for (const char c : reason) {
    if (out.size() >= kMaxReasonLength) break;
    const auto u = static_cast<unsigned char>(c);
    const char clean = u < 0x20 || u == 0x7f ? ' ' : (u > 0x7f ? '?' : c);
    if (clean == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += clean;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Outcome rejected(std::string_view reason, std::string detail) {
  auto outcome = make_outcome(Status::Rejected, std::move(detail));
  outcome.reason = sanitize_reason(reason);
  return outcome;
}

Outcome outcome_from_errno(int err, std::string detail, QuotaFullReply quota_reply) {
  detail += ": ";
  detail += std::strerror(err);
  if (err == ENOSPC) return make_outcome(Status::DiskFull, std::move(detail));
  if (err == EDQUOT) {
    // A filesystem quota, unlike the mailbox's own: with one vmail owner for every mailbox it is the
    // whole spool that is full, so it stays temporary even where a full mailbox bounces (552).
    const auto reply = quota_reply == QuotaFullReply::Bounce552 ? QuotaFullReply::Retry452 : quota_reply;
    return make_outcome(Status::MailboxFull, std::move(detail), reply);
  }
  return make_outcome(Status::LocalError, std::move(detail));
}

namespace {

// "4.2.0 <rcpt> Mailbox locked, try again later": the part both mappings share. A message that is too
// big is too big for everyone, so it names no recipient.
std::string enhanced_recipient_text(const Outcome& outcome, std::string_view recipient) {
  std::string line{outcome.enhanced};
  if (outcome.status != Status::MessageTooBig && !recipient.empty()) {
    line += " <";
    line += recipient;
    line += '>';
  }
  line += ' ';
  if (outcome.reason.empty()) {
    line += outcome.text;
  } else {
    line += outcome.reason;
  }
  if (!outcome.host.empty() && outcome.reply.empty()) {
    line += ' ';
    line += outcome.host;
  }
  return line;
}

}  // namespace

std::string lmtp_reply(const Outcome& outcome, std::string_view recipient) {
  if (!outcome.reply.empty()) return outcome.reply;
  return std::to_string(outcome.code) + " " + enhanced_recipient_text(outcome, recipient);
}

int exit_code(const Outcome& outcome) {
  if (outcome.temporary()) return EX_TEMPFAIL;
  if (outcome.status == Status::MailboxFull) return EX_NOPERM;  // only reached with 552
  return row(outcome.status).exit_code;
}

std::string stderr_line(const Outcome& outcome, std::string_view recipient) {
  return enhanced_recipient_text(outcome, recipient);
}

std::string policy_action(const Outcome& outcome) {
  if (outcome.delivered()) return "DUNNO";
  const std::string text = enhanced_recipient_text(outcome, {});
  if (outcome.code == 450) return "DEFER_IF_PERMIT " + text;
  return std::to_string(outcome.code) + " " + text;
}

std::string_view status_name(Status status) {
  return row(status).name;
}

}  // namespace letterbox
