// The delivery outcomes (letterbox.conf(5) REPLY CODES, letterbox-lmtpd(8) DIAGNOSTICS) as one table. Every reply code,
// enhanced status code and sysexits value the programs emit for a recipient comes from here: lmtp_reply() is the only
// mapping to LMTP, exit_code()/stderr_line() the only mapping to the command line.
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
  LineTooLong,       // LMTP only: a text line over 1000 octets (RFC 5321's limit)
  MailboxElsewhere,  // [ldap] host_attribute names another delivery host (letterbox.conf(5))
  RoutingLoop,       // ... and this session came from a host that proxied it here already
  HostUnavailable,   // the host of a proxied recipient did not answer within proxy_timeout
  Relayed,           // the answer of that host, passed back unchanged (Outcome::reply)
  Rejected,          // the recipient's Sieve script refused the message (reject, ereject): Outcome::reason
};

// What a full mailbox answers (`[delivery] quota_full_reply`): 450 and 452 retry, 552 bounces.
enum class QuotaFullReply { Retry450, Retry452, Bounce552 };

struct Outcome {
  Status status = Status::LocalError;
  int code = 451;             // the LMTP reply code
  std::string_view enhanced;  // RFC 3463 enhanced status code
  std::string_view text;      // the human part of the reply
  std::string detail;         // why, for the log only; never sent to the client
  std::string host;           // the host the directory names, ending the reply text
  std::string reply;          // Relayed (and a row a relayed reply matched): the other host's reply line
  std::string reason;         // Rejected: the script's reason, one clean line, in place of `text`

  [[nodiscard]] bool delivered() const { return status == Status::Delivered; }
  [[nodiscard]] bool temporary() const { return code >= 400 && code < 500; }
};

// The canonical outcome for a status; `quota_reply` only matters for Status::MailboxFull.
Outcome make_outcome(Status status, std::string detail = {}, QuotaFullReply quota_reply = QuotaFullReply::Retry450);

// "450 4.4.4 <rcpt> Mailbox is on host H": the directory puts the mailbox on another delivery host.
Outcome mailbox_elsewhere(std::string host, std::string detail);

// "450 4.4.6 <rcpt> Routing loop, mailbox is on host H": a proxied session asks for a mailbox elsewhere.
Outcome routing_loop(std::string host, std::string detail);

// "451 4.4.1 <rcpt> No answer from mailbox host H".
Outcome host_unavailable(std::string host, std::string detail);

// Another host's per-recipient reply line, passed back as it is. Its status is the table's row with the
// same code and enhanced code (so metrics count it as such), else Relayed.
Outcome relayed(std::string reply_line, std::string host);

// "550 5.7.1 <rcpt> REASON": the recipient's Sieve script rejected the message. The reason is the
// script's, hence untrusted: it is cut to one line of printable ASCII of bounded length, so that it can
// neither add a reply line nor a header to the bounce.
Outcome rejected(std::string_view reason, std::string detail);

// The reason as rejected() puts it in a reply: controls and line ends become spaces, other octets
// outside printable ASCII '?', runs of spaces one, at most kMaxReasonLength octets.
inline constexpr std::size_t kMaxReasonLength = 200;
std::string sanitize_reason(std::string_view reason);

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
