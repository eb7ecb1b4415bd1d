// A redirected message (RFC 5228 §4.2) and what keeps redirects from going round in circles: the mark a
// redirect puts on the message, the check for it (and for a Delivered-To naming the target) before the next
// redirect, and the identity under which `redirect_duplicate_period` remembers one redirect.
//
// The mark is the field Pigeonhole writes, "X-Sieve-Redirected-From: <the user who redirected it>", under
// the same name, so that during a migration a loop through a Dovecot host and a Letterbox host is caught
// on either side. Pure: the message is only read.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "letterbox/sieve/message_headers.hpp"

namespace letterbox::sieve {

inline constexpr std::string_view kRedirectMarkField = "X-Sieve-Redirected-From";

// The message as it goes to the MTA: the mark first, then the original unchanged but for its Return-Path
// fields, which the final delivery writes anew (left in, they would name the sender of an earlier hop), and
// a leading mbox "From " line.
class RedirectMessage {
 public:
  // `original` must outlive this object: parts() are views into it. `redirecting_user` is the recipient
  // whose script redirects (the envelope recipient), written bare ("user@example.org"). The mark's line
  // ends in CRLF, or in LF when the original's first line does (the LDA reads local mail with LF).
  RedirectMessage(std::string_view original, std::string_view redirecting_user);

  // The mark, then the pieces of the original around its Return-Path fields: what Sendmail::submit takes.
  std::vector<std::string_view> parts() const;
  const std::string& mark() const { return mark_; }

 private:
  std::string mark_;
  std::vector<std::string_view> original_pieces_;
};

// Why a redirect to `target` would go round again; `none`: it may go.
enum class RedirectLoop {
  none,
  redirected_by_user,    // a mark names one of `user_addresses`: this user redirected the message before
  redirected_by_target,  // a mark names the target: it came from there, and would go straight back
  delivered_to_target,   // a Delivered-To names the target: the MTA delivered it there already
};

// Addresses are compared without regard to case, angle brackets and white space off. A Delivered-To naming
// the user says nothing (the MTA that hands the message to the LDA may have written it for this very
// delivery), so only the target's counts.
RedirectLoop redirect_loop(const MessageHeaders& headers, std::span<const std::string> user_addresses,
                           std::string_view target);

// A few words for the log: "the message was redirected by this user before", ...
std::string_view describe(RedirectLoop why);

// The identity of one redirect of this message by `recipient` to `target`, for the duplicate store (it
// hashes it): the Message-ID, the two addresses, and what tells a resent or list copy of one message from
// the first (Resent-Message-ID or Resent-From, List-Id). A message without Message-ID is identified by its
// whole header section instead, which a retried delivery of it repeats exactly.
std::string redirect_duplicate_id(const MessageHeaders& headers, std::string_view recipient, std::string_view target);

}  // namespace letterbox::sieve
