#include "letterbox/observe/delivery_log.hpp"

#include <spdlog/spdlog.h>

#include "letterbox/observe/metrics.hpp"

namespace letterbox {

void log_delivery(const DeliveryRecord& r) {
  metrics().count_delivery(r.outcome, !r.mailbox.empty(), r.delay);
  const double seconds = std::chrono::duration<double>(r.delay).count();
  const auto reply = lmtp_reply(r.outcome, r.recipient);
  const auto level = r.outcome.delivered()   ? spdlog::level::info
                     : r.outcome.temporary() ? spdlog::level::warn
                                             : spdlog::level::info;
  if (r.outcome.detail.empty() || r.outcome.delivered()) {
    spdlog::log(level, "session={} from=<{}> to=<{}> mailbox={} size={} result=\"{}\" delay={:.3f}s", r.session,
                r.sender, r.recipient, r.mailbox.empty() ? "-" : r.mailbox, r.size, reply, seconds);
  } else {
    spdlog::log(level, "session={} from=<{}> to=<{}> mailbox={} size={} result=\"{}\" delay={:.3f}s detail=\"{}\"",
                r.session, r.sender, r.recipient, r.mailbox.empty() ? "-" : r.mailbox, r.size, reply, seconds,
                r.outcome.detail);
  }
}

}  // namespace letterbox
