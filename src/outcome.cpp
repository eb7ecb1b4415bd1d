#include "letterbox/outcome.hpp"

#include <sysexits.h>

#include <array>
#include <cerrno>
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

// SPEC.md's table, in its order. A temporary condition is always 4xx / EX_TEMPFAIL.
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
  Outcome o{status, r.code, r.enhanced, r.text, std::move(detail)};
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
  line += outcome.text;
  return line;
}

}  // namespace

std::string lmtp_reply(const Outcome& outcome, std::string_view recipient) {
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
  const std::string text = std::string(outcome.enhanced) + " " + std::string(outcome.text);
  if (outcome.code == 450) return "DEFER_IF_PERMIT " + text;
  return std::to_string(outcome.code) + " " + text;
}

std::string_view status_name(Status status) {
  return row(status).name;
}

}  // namespace letterbox
