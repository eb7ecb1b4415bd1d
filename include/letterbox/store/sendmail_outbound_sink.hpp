// SendmailOutboundSink: the OutboundSink of both programs, which hands Sieve's redirects and vacation
// replies to the MTA through `[sieve] sendmail` (Sendmail) and keeps the per-user tracking that stops
// them repeating (the user's DuplicateStore).
//
//  - redirect: the message with its loop mark (RedirectMessage), from the original envelope sender (<>
//    stays <>) to the target. Not sent again when the store says this message already went to that target
//    within redirect_duplicate_period (logged as skipped). Each redirect that went is recorded and
//    committed at once, even when a later one fails, so that the MTA's retry sends only what is missing.
//    Any failure of the program (an exit status other than 0, not started, killed) is a temporary failure:
//    451 4.3.0, which the delivery answers after taking its copies back.
//  - vacation: nothing goes out when vacation_rules forbids it, when the user has no tracking (no sieve
//    dir) or it cannot be read, or when this sender got a reply with this handle within the period;
//    otherwise the reply (vacation_reply, with a Message-ID of its own) from <> (or the recipient with
//    vacation_send_from_recipient) to the sender, recorded once the program took it. A failure is logged.
// Every outcome is logged and counted (letterbox_sieve_redirects_total, ..._vacation_replies_total).
// Never throws: an unexpected exception defers a redirect and drops a reply, both logged.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

#include "letterbox/config/config.hpp"
#include "letterbox/mail/sendmail.hpp"
#include "letterbox/sieve/message_headers.hpp"
#include "letterbox/store/outbound_sink.hpp"

namespace letterbox {

class SendmailOutboundSink final : public OutboundSink {
 public:
  // `hostname`: the domain of a reply's Message-ID. `recipient_delimiter`: the subaddress separators,
  // so that a reply is not sent to the user's own `user+detail` address.
  SendmailOutboundSink(const SieveSettings& sieve, std::string hostname, std::string recipient_delimiter);

  Outcome redirect(const OutboundRequest& request) override;
  void reply(const OutboundRequest& request) override;

 private:
  Outcome send_redirects(const OutboundRequest& request, std::string_view whole) const;
  void send_vacation(const OutboundRequest& request, const sieve::VacationAction& vacation, unsigned line,
                     const sieve::MessageHeaders& headers) const;

  Sendmail sendmail_;
  std::time_t redirect_period_;
  bool send_from_recipient_;
  std::string hostname_;
  std::string recipient_delimiter_;
};

}  // namespace letterbox
