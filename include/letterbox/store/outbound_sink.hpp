// Where a delivery hands what a Sieve script asked to send (redirect, vacation), called once per recipient
// whose copies are durable, never for a recipient whose delivery failed or was rejected. Two steps,
// because the two answer differently:
//  - redirect() before the recipient's answer: a redirect that cannot be sent defers the whole delivery
//    (the caller takes the copies back and answers the 4xx), so that the MTA's retry sends it;
//  - reply() once the delivery has succeeded: a vacation reply never changes the answer.
// Redirects that would loop never reach the sink (SieveDelivery keeps the message instead). Which of the
// others may go (duplicates, the RFC 5230 rules), their text and the per-user tracking are the sink's
// business (SendmailOutboundSink); a test may put another sink in its place.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "letterbox/mail/outcome.hpp"
#include "letterbox/sieve/date_parts.hpp"
#include "letterbox/sieve/run_result.hpp"
#include "letterbox/store/duplicate_store.hpp"
#include "letterbox/store/spool.hpp"

namespace letterbox {

struct OutboundRequest {
  const Spool& message;                // the message as received (no per-copy headers); valid during the call only
  std::string envelope_sender;         // MAIL FROM, "" for <>
  std::string recipient;               // the address the scripts ran for
  DuplicateStore* duplicates;          // the user's tracking; null when the user has no usable sieve dir
  std::time_t now;                     // the delivery's time, as the scripts saw it
  sieve::ZoneOffset zone;              // the local zone then, for the Date of a reply
  std::vector<sieve::Action> actions;  // RedirectAction and VacationAction only, in the scripts' order
};

class OutboundSink {
 public:
  virtual ~OutboundSink() = default;
  // Sends the request's redirects: Delivered when each went or was skipped as already sent, else the
  // temporary failure to answer. Must not throw: lmtpd calls it on its delivery pool.
  virtual Outcome redirect(const OutboundRequest& request) = 0;
  // Sends the request's vacation reply, if one may go. Must not throw; failures are logged.
  virtual void reply(const OutboundRequest& request) = 0;
};

}  // namespace letterbox
