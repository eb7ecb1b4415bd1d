// The one log line per recipient per delivery, with the fields an administrator greps for:
//   session=… from=<…> to=<…> mailbox=… size=… result="450 4.2.0 …" delay=0.012s [detail="…"]
// The same record is counted in the metrics (letterbox_deliveries_total and, when a mailbox was reached,
// the delivery latency histogram), so the log and the counters can never disagree.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "letterbox/mail/outcome.hpp"

namespace letterbox {

struct DeliveryRecord {
  std::string_view session;
  std::string_view sender;
  std::string_view recipient;
  std::string_view mailbox;  // empty when the recipient never reached a mailbox
  std::uint64_t size = 0;
  const Outcome& outcome;
  std::chrono::steady_clock::duration delay{};
};

void log_delivery(const DeliveryRecord& record);

}  // namespace letterbox
