// Runs compiled Sieve scripts (RFC 5228 and the extensions of extensions.hpp) on one message and says
// what to do with it (run_result.hpp). Pure logic: the message and the envelope come in as values, the
// clock and the local zone as part of the environment, and the few questions that need the outside world
// (does this folder exist, the text of an included script, was this message seen before) go to a ScriptHost
// the caller implements. Nothing is stored, sent or refused here.
//
// Errors at run time (an invalid combination of actions, a limit exceeded, a missing included script,
// the `error` command...) end the run: the result holds the error and falls back to the implicit keep
// only (RFC 5228 §2.10.6), so that no mail is lost.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "letterbox/sieve/body_parts.hpp"
#include "letterbox/sieve/date_parts.hpp"
#include "letterbox/sieve/regex.hpp"
#include "letterbox/sieve/run_result.hpp"
#include "letterbox/sieve/script.hpp"

namespace letterbox::sieve {

// The SMTP/LMTP envelope of the copy being delivered (RFC 5228 §5.4: only the RCPT TO that caused this
// delivery). Addresses without angle brackets.
struct Envelope {
  std::string from;                // MAIL FROM; "" for the null reverse path <>
  std::string to;                  // RCPT TO
  std::string original_recipient;  // ORCPT, or the address before aliases; "" when it is `to` itself
};

// What the run knows about where and when it happens: currentdate and the date test's default zone
// (RFC 5260), and the items of the environment test (RFC 5183 §4.1).
struct RunEnvironment {
  std::chrono::system_clock::time_point now;
  ZoneOffset local_zone;  // the local offset at `now` (used for dates at other times of the year too)
  std::string domain;     // "domain": the primary mail domain of the host
  std::string host;       // "host": this host's fully-qualified name
  std::string location = "MDA";
  std::string phase = "during";
  std::string name = "Letterbox";
  std::string version;
  std::string remote_host, remote_ip;  // of the LMTP client; "" when unknown (the items then do not exist)
  // The CPU time this thread has used, against which RunLimits::max_cpu_time is measured; null: the
  // thread's real CPU clock. Tests pass a fake one.
  std::function<std::chrono::nanoseconds()> cpu_clock;
};

// The bounds of one run ([sieve] in letterbox.conf(5)). Exceeding one is a run-time error.
struct RunLimits {
  std::size_t max_actions = 32;  // actions in the result, the implicit keep included
  std::size_t max_redirects = 4;
  std::chrono::nanoseconds max_cpu_time = std::chrono::seconds(2);  // checked between commands and tests,
                                                                    // in every loop over values and parts
  unsigned max_include_depth = 10;       // scripts nested in one another, the top one included (RFC 6609 §3.1)
  std::size_t max_includes = 255;        // include commands performed in one run
  std::size_t max_variables = 255;       // per scope: each script's own, and the global ones
  std::size_t max_variable_size = 4096;  // bytes; longer values are cut at a character boundary
  std::size_t max_match_values = 1000;   // header fields or addresses one test looks at
  BodyLimits body;
  // Vacation periods in seconds (RFC 5230 §4.1, RFC 6131 §2): a period outside [min, max] is moved to the
  // nearest bound; none given is the default.
  std::uint64_t vacation_min_period = 86400;
  std::uint64_t vacation_default_period = 7 * 86400;
  std::uint64_t vacation_max_period = 60 * 86400;
  // RFC 7352 §3.3: the default lifetime of a duplicate-tracking entry, and the most a script may ask.
  std::uint64_t duplicate_default_period = 7 * 86400;
  std::uint64_t duplicate_max_period = 7 * 86400;
};

// What an include names that the host could not give.
struct IncludeMissing {};
struct IncludeFailed {
  std::string message;  // e.g. the included script's first compile error
};
using IncludeLoad = std::variant<std::shared_ptr<const Script>, IncludeMissing, IncludeFailed>;

// The outside world, as the run sees it: implemented by the program that runs scripts (the delivery, the
// letterbox-sieve tool). Called on the running thread; no call may block for long.
class ScriptHost {
 public:
  virtual ~ScriptHost() = default;
  // mailboxexists (RFC 5490 §3.1): does the user's folder `name` (as the script gives it) exist?
  virtual bool mailbox_exists(std::string_view name) = 0;
  // include (RFC 6609): the compiled script `name` from the user's (:personal) or the administrator's
  // (:global) scripts. Keeping the name inside that directory is the host's job.
  virtual IncludeLoad load_include(IncludeLocation location, std::string_view name) = 0;
  // duplicate (RFC 7352): was `id` recorded under `handle` within the last `seconds`? Only a question:
  // RunResult::duplicates says what to record once the delivery succeeded.
  virtual bool duplicate_seen(std::string_view handle, std::string_view id, std::uint64_t seconds) = 0;
};

// Everything one run reads. The views must outlive the call.
struct RunInput {
  std::string_view message;  // header and body as received (CRLF or LF line ends)
  Envelope envelope;
  RunEnvironment environment;
  RunLimits limits;
  ScriptHost* host = nullptr;     // required
  RegexCache* regexes = nullptr;  // :regex keys with variables compiled once per process; null: per run
};

// Runs one script.
RunResult run(const Script& script, const RunInput& input);

// Runs the administrator's `before` scripts, the user's script and the `after` scripts as one delivery,
// the way Pigeonhole's sieve_before/sieve_after chain them, so that filters moved from Dovecot behave
// the same:
//   - the scripts share one result: actions add up, duplicates are merged as within one script, and the
//     limits (actions, redirects, CPU time) count for the whole sequence;
//   - after each script, the next one runs only if a keep (implicit or explicit) is still in effect; a
//     script that cancels it (fileinto, redirect, discard, reject) ends the sequence;
//   - `stop` ends only the script it is in; the next one runs if the keep is in effect;
//   - an explicit `keep` in a script that is followed by another only lets the sequence go on: the message
//     goes to the inbox only if the last script that ran keeps it (explicitly or implicitly).
//     `fileinto "INBOX"` stores it there in any case;
//   - each script has its own variables, global ones included; the imap4flags internal variable is shared
//     (flags a `before` script adds are on the implicit keep of the user's script);
//   - a second vacation in a later script is dropped silently instead of being an error;
//   - an error in one script ends the sequence: the actions of the scripts before it are kept (Pigeonhole
//     has already performed them), the failed script's are dropped, and the implicit keep is added.
RunResult run_sequence(std::span<const Script* const> scripts, const RunInput& input);

}  // namespace letterbox::sieve
