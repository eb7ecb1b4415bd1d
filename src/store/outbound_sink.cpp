#include "letterbox/store/outbound_sink.hpp"

#include <variant>

#include "letterbox/util/log.hpp"

namespace letterbox {

void LoggingOutboundSink::send(const OutboundRequest& request) {
  for (const auto& action : request.actions) {
    if (const auto* redirect = std::get_if<sieve::RedirectAction>(&action.what)) {
      log::warn("sieve: to=<{}> redirect to <{}> (line {}) not sent: this version has no sender yet", request.recipient,
                redirect->address, action.where.line);
    } else if (const auto* vacation = std::get_if<sieve::VacationAction>(&action.what)) {
      log::warn("sieve: to=<{}> vacation reply to <{}> (line {}) not sent: this version has no sender yet",
                request.recipient, vacation->reply_to, action.where.line);
    }
  }
}

}  // namespace letterbox
