// Would a message fit in a recipient's mailbox now? letterbox-policyd asks at RCPT time (with MAIL FROM's
// SIZE=) and again at END-OF-MESSAGE (with the real size), so that a full mailbox is refused while the
// sending server is still connected. The same limits as delivery (MaildirQuota, MboxStore), read only:
// the quota files belong to delivery.
#pragma once

#include <cstdint>
#include <optional>

#include "letterbox/config/config.hpp"
#include "letterbox/mail/outcome.hpp"
#include "letterbox/store/deliverer.hpp"

namespace letterbox {

// Delivered when the message fits or the mailbox has no quota; MailboxFull (with [delivery]
// quota_full_reply) when it does not. nullopt when the mailbox cannot be read or its path is refused:
// the policy then stays out of the way and delivery, which will meet the same problem, answers it.
std::optional<Outcome> probe_quota(const Settings& settings, const Recipient& recipient, std::uint64_t size);

}  // namespace letterbox
