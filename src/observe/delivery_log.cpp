#include "letterbox/observe/delivery_log.hpp"

#include "letterbox/observe/metrics.hpp"
#include "letterbox/util/log.hpp"

namespace letterbox {

void log_delivery(const DeliveryRecord& r) {
  metrics().count_delivery(r.outcome, !r.mailbox.empty(), r.delay);
  const double seconds = std::chrono::duration<double>(r.delay).count();
  const auto reply = lmtp_reply(r.outcome, r.recipient);
  const auto level = r.outcome.delivered()   ? log::Level::Info
                     : r.outcome.temporary() ? log::Level::Warn
                                             : log::Level::Info;
  if (r.outcome.detail.empty() || r.outcome.delivered()) {
    log::line(level, "session={} from=<{}> to=<{}> mailbox={} size={} result=\"{}\" delay={:.3f}s", r.session, r.sender,
              r.recipient, r.mailbox.empty() ? "-" : r.mailbox, r.size, reply, seconds);
  } else {
    log::line(level, "session={} from=<{}> to=<{}> mailbox={} size={} result=\"{}\" delay={:.3f}s detail=\"{}\"",
              r.session, r.sender, r.recipient, r.mailbox.empty() ? "-" : r.mailbox, r.size, reply, seconds,
              r.outcome.detail);
  }
}

}  // namespace letterbox
