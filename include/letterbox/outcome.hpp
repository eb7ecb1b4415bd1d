// The delivery outcomes of SPEC.md as one table. Every reply code, enhanced status code and sysexits
// value the programs emit for a recipient comes from here: lmtp_reply() is the only mapping to LMTP,
// exit_code()/stderr_line() the only mapping to the command line.
#pragma once

#include <string>
#include <string_view>

namespace letterbox {

enum class Status {
  Delivered,
  UserUnknown,
  MailboxDisabled,
  MailboxPending,
  DirectoryUnavailable,
  MailboxLocked,
  MailboxFull,
  DiskFull,
  LocalError,
  MessageTooBig,
  LineTooLong,  // LMTP only: a text line over 1000 octets (RFC 5321's limit)
};

// What a full mailbox answers (`[delivery] quota_full_reply`): 450 and 452 retry, 552 bounces.
enum class QuotaFullReply { Retry450, Retry452, Bounce552 };

struct Outcome {
  Status status = Status::LocalError;
  int code = 451;             // the LMTP reply code
  std::string_view enhanced;  // RFC 3463 enhanced status code
  std::string_view text;      // the human part of the reply
  std::string detail;         // why, for the log only; never sent to the client

  [[nodiscard]] bool delivered() const { return status == Status::Delivered; }
  [[nodiscard]] bool temporary() const { return code >= 400 && code < 500; }
};

// The canonical outcome for a status; `quota_reply` only matters for Status::MailboxFull.
Outcome make_outcome(Status status, std::string detail = {}, QuotaFullReply quota_reply = QuotaFullReply::Retry450);

// The one errno-to-outcome mapping for local I/O (Postfix's mbox_dsn idea): ENOSPC is a full disk,
// EDQUOT a full mailbox, anything else a local error. All of them are temporary.
Outcome outcome_from_errno(int err, std::string detail, QuotaFullReply quota_reply = QuotaFullReply::Retry450);

// "450 4.2.0 <rcpt> Mailbox locked, try again later" (no CRLF). MessageTooBig names no recipient.
std::string lmtp_reply(const Outcome& outcome, std::string_view recipient);

// sysexits.h value for letterbox-lda.
int exit_code(const Outcome& outcome);

// The line letterbox-lda prints on stderr: it starts with the enhanced status code, which Postfix pipe(8)
// and local(8) take as the DSN status ("4.2.0 <rcpt> Mailbox locked, try again later").
std::string stderr_line(const Outcome& outcome, std::string_view recipient);

// The action letterbox-policyd gives Postfix's smtpd for this outcome at RCPT time: DUNNO for Delivered
// (the next restriction decides); a 450 as "DEFER_IF_PERMIT 4.x.y text", so that a later permanent
// rejection (a DNSBL, say) still wins and Postfix keeps the enhanced code; any other code as
// "NNN X.Y.Z text". Postfix itself adds "<rcpt>: Recipient address rejected:" for the client.
std::string policy_action(const Outcome& outcome);

std::string_view status_name(Status status);

}  // namespace letterbox
