// The text of a vacation reply (RFC 5230 §5, RFC 3834): from a VacationAction and the header of the message
// it answers, the whole reply as the MTA's sendmail program takes it — header fields, empty line, body,
// every line ending in CRLF. Pure: the caller passes "now" and the reply's Message-ID, so the bytes depend
// on nothing else. Whether a reply goes out at all is vacation_rules.hpp's and the duplicate store's business;
// the envelope (sender <>, or the recipient with `vacation_send_from_recipient`) is the caller's.
#pragma once

#include <string>

#include "letterbox/sieve/date_parts.hpp"
#include "letterbox/sieve/message_headers.hpp"
#include "letterbox/sieve/run_result.hpp"

namespace letterbox::sieve {

struct VacationReplyStamp {
  DateTime date;           // now, in the zone the Date field shows
  std::string message_id;  // the reply's own, "<unique@host>"
};

// The reply to the message whose header is `original`, `action.reply_to` being where it goes (not empty:
// no reply goes to <>). Its fields, in this order:
//   Message-ID, Date, From (:from, else the envelope recipient), To (the original's envelope sender),
//   Subject (:subject, else "Auto: " and the original subject decoded, "Automated reply" when it has
//   none; as RFC 2047 encoded words when not plain ASCII), In-Reply-To and References (RFC 5322 §3.6.4,
//   left out when the original has no Message-ID), Auto-Submitted: auto-replied (vacation), MIME-Version.
// Then, without :mime, Content-Type text/plain; charset=utf-8 and the reason as the body: 7bit when it is
// ASCII in lines of at most 998 octets, quoted-printable otherwise. With :mime the reason is the MIME entity
// (its own header fields, an empty line, its body), written as given but for line ends.
// Control characters in a header value (a decoded "=0D=0A" in the original subject, say) become spaces,
// so that nothing can add a field to the reply; long fields are folded at spaces.
std::string compose_vacation_reply(const VacationAction& action, const MessageHeaders& original,
                                   const VacationReplyStamp& stamp);

}  // namespace letterbox::sieve
