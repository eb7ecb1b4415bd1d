// From the directory's answer to either a Recipient ready for delivery or the Outcome to answer with.
// This is where the directory's rows of letterbox.conf(5) REPLY CODES are decided: unknown -> 550 5.1.1, disabled ->
// 550 5.2.1, pending -> 450 4.2.1, unavailable -> 450 4.4.3, ambiguous -> 451 4.3.0. The mailbox comes from the mailbox
// attribute or the template, the format from the format attribute or the path, the quota from the quota attribute or
// [delivery] quota.
#pragma once

#include <string_view>
#include <variant>

#include "letterbox/config/config.hpp"
#include "letterbox/directory/address.hpp"
#include "letterbox/directory/directory.hpp"
#include "letterbox/mail/outcome.hpp"
#include "letterbox/store/deliverer.hpp"

namespace letterbox {

// `shown` is the address as the client wrote it (replies and Delivered-To name it that way).
std::variant<Recipient, Outcome> resolve_recipient(const Settings& settings, const Address& address,
                                                   std::string_view shown, const Lookup& lookup);

// The mailbox_template with %u, %d, %a, %% substituted; empty when a value would add a path level ('/')
// or a hidden name (a leading '.').
std::string expand_mailbox_template(std::string_view mailbox_template, const Address& address);

// A path ending in '/' or "/Maildir" (or just "Maildir") is a Maildir; anything else gets `fallback`.
MailboxFormat infer_format(std::string_view mailbox, MailboxFormat fallback);

}  // namespace letterbox
