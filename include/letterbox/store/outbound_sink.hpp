// Where a delivery hands what a Sieve script asked to send (redirect, vacation): called once per
// recipient, and only after that recipient's copies are durable ("vacation and redirect are sent only
// after the copies are durable"), never for a recipient whose delivery failed or was rejected. Sending
// (sendmail, the reply's text, the per-sender tracking in the user's DuplicateStore) is the sink's job;
// the delivery's answer does not wait on it and cannot be changed by it.
#pragma once

#include <string>
#include <vector>

#include "letterbox/sieve/run_result.hpp"
#include "letterbox/store/spool.hpp"

namespace letterbox {

struct OutboundRequest {
  const Spool& message;                // the message as received (no per-copy headers); valid during send() only
  std::string envelope_sender;         // MAIL FROM, "" for <>
  std::string recipient;               // the address the scripts ran for
  std::string sieve_dir;               // the user's script directory, confined under mail_root ("" if none)
  std::vector<sieve::Action> actions;  // RedirectAction and VacationAction only, in the scripts' order
};

class OutboundSink {
 public:
  virtual ~OutboundSink() = default;
  // Must not throw and should not block for long: lmtpd calls it on its delivery pool.
  virtual void send(const OutboundRequest& request) = 0;
};

// The sink of this version, which has no sender yet: one log line per action, saying it was not sent.
class LoggingOutboundSink final : public OutboundSink {
 public:
  void send(const OutboundRequest& request) override;
};

}  // namespace letterbox
