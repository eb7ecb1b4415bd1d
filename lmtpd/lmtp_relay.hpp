// LmtpRelay: one message to another delivery host over LMTP, for the recipients whose mailbox the
// directory puts there ([server] proxy = yes, README.md "Several delivery hosts"). It runs on the worker pool like a
// local delivery: blocking I/O, every step bounded by proxy_timeout, the message streamed from the spool
// (memory does not grow with its size). Each recipient's answer is that host's reply, unchanged; a host
// that cannot be reached or stops answering is 451 4.4.1 for every recipient it has not answered yet.
#pragma once

#include <string>
#include <vector>

#include "letterbox/config/config.hpp"
#include "letterbox/mail/outcome.hpp"
#include "letterbox/store/spool.hpp"

namespace letterbox {

// The extension a Letterbox host advertises in its LHLO reply, and the command a proxying host sends
// after LHLO: the session is then marked proxied, and a recipient it would proxy again is 450 4.4.6.
inline constexpr std::string_view kProxiedExtension = "XLETTERBOX-PROXIED";

struct RelayJob {
  std::string host;  // as the directory names it: a host name or an address
  unsigned port = 24;
  Duration timeout{};
  std::string own_hostname;             // for LHLO and the loop marker
  std::string sender;                   // MAIL FROM, without brackets
  std::vector<std::string> recipients;  // as the client wrote them
};

// One outcome per recipient, in order. Uses STARTTLS when the other host offers it.
std::vector<Outcome> relay_message(const RelayJob& job, const Spool& message);

}  // namespace letterbox
