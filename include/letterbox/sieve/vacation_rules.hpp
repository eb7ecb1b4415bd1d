// Whether a vacation reply may be sent to a message at all (RFC 5230 §4.5 and §4.6, and letterbox.conf(5)
// "[sieve]"): the rules that need no state. The once-per-period rule (§4.2) needs the user's duplicate
// store and is the sender's business. Pure: the delivery and `letterbox-sieve test` both ask it.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "letterbox/sieve/message_headers.hpp"

namespace letterbox::sieve {

// Why no reply goes out; `none`: one may.
enum class VacationSuppression {
  none,
  null_sender,               // the envelope sender is <> (a bounce or another auto-reply)
  own_address,               // the sender is one of the user's own addresses
  system_sender,             // MAILER-DAEMON, LISTSERV, majordomo, owner-*, *-request
  mailing_list,              // a List-* header field
  auto_submitted,            // Auto-Submitted other than "no" (RFC 3834)
  bulk_precedence,           // Precedence: bulk, list or junk
  auto_response_suppressed,  // X-Auto-Response-Suppress: All or OOF
  not_addressed,             // none of the user's addresses in To, Cc, Bcc, Resent-To, Resent-Cc, Resent-Bcc
};

struct VacationParties {
  std::string_view sender;     // the envelope sender, "" for <>
  std::string_view recipient;  // the envelope recipient
  // The user's other addresses: the original recipient, aliases, the script's :addresses.
  std::span<const std::string> addresses;
};

// The first rule, in the order of the enum, that forbids a reply; `none` when none does. Addresses are
// compared without regard to case, and a recipient's subaddress (`user+detail`, separator `+`) also
// matches the address without it.
VacationSuppression vacation_suppression(const MessageHeaders& headers, const VacationParties& parties,
                                         std::string_view separator = "+");

// A few words for the log: "the sender is <>", "the message is from a mailing list", ...
std::string_view describe(VacationSuppression why);

}  // namespace letterbox::sieve
