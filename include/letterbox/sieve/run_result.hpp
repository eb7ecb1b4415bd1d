// What running Sieve scripts on one message decided: the ordered actions the delivery performs (store,
// send, refuse), with the implicit keep already resolved (RFC 5228 §2.10.2), the duplicate-tracking
// entries to record once the delivery succeeded (RFC 7352 §3), and the run-time error if there was one
// (then the actions are the fallback keep, RFC 5228 §2.10.6). Plain values: nothing here performs
// anything. print_run_result() is the text `letterbox-sieve test` shows (docs/sieve.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "letterbox/sieve/diagnostic.hpp"

namespace letterbox::sieve {

// Store in the inbox: `keep`, the implicit keep, or `fileinto "INBOX"`. Flags normalised (imap_flags.hpp).
struct KeepAction {
  std::vector<std::string> flags;
  // "" for keep; for a `fileinto` that named the inbox, the name as the script gave it, which
  // print_run_result() shows (the store is the same either way, RFC 5228 §2.10.3).
  std::string fileinto_name;
  bool create = false;  // that fileinto's :create
};

// Store in another folder. `mailbox` as the script gave it after variable expansion (UTF-8, "/" or "."
// separated levels; mailbox_name.hpp turns it into the on-disk folder).
struct FileintoAction {
  std::string mailbox;
  bool create = false;  // RFC 5490 :create: make the folder if it is missing
  std::vector<std::string> flags;
};

struct RedirectAction {
  std::string address;
};

// reject and ereject (RFC 5429): refuse the message with `reason`.
struct RejectAction {
  std::string reason;
  bool extended = false;  // ereject: only ever at the protocol level (a 5xx)
};

// An auto-reply (RFC 5230, RFC 6131) with everything the sender of replies needs; whether one goes out
// (the suppression rules of RFC 5230 §4.5 and §4.6, the per-sender tracking) is decided there.
struct VacationAction {
  std::string reply_to;            // the envelope sender of the message: where the reply goes ("" for <>)
  std::string recipient;           // the envelope recipient (one of the user's own addresses)
  std::string original_recipient;  // Envelope::original_recipient, another of them ("" when unknown)
  std::uint64_t period = 0;        // seconds between two replies to one sender, clamped to the site's bounds
  bool period_in_seconds = false;  // the script used :seconds (RFC 6131), else :days or the default
  std::optional<std::string> subject, from;
  std::string handle;  // :handle, or one built from the expanded arguments (RFC 5230 §4.2; docs/sieve.md)
  std::vector<std::string> addresses;
  bool mime = false;
  std::string reason;
};

struct Action {
  std::variant<KeepAction, FileintoAction, RedirectAction, RejectAction, VacationAction> what;
  Position where;         // of the command that caused it
  bool implicit = false;  // the implicit keep, or the keep an error fell back to: `where` means nothing
};

// One unique ID a `duplicate` test checked (RFC 7352): to be recorded as seen only if the delivery
// succeeds, so that a retried delivery does not find itself a duplicate.
struct DuplicateMark {
  std::string handle;
  std::string id;
  std::uint64_t seconds = 0;  // how long the entry lives
  bool last = false;          // :last: the expiry restarts from this delivery even if the entry exists
  bool operator==(const DuplicateMark&) const = default;
};

struct RunError {
  Diagnostic diagnostic;   // where in the script that failed, and why
  std::size_t script = 0;  // index in the sequence of scripts that was run (0 for a single script)
  std::string included;    // "" in that script itself, else the name of the included script that failed
};

struct RunResult {
  std::vector<Action> actions;  // in the order performed; an implicit keep comes last
  std::vector<DuplicateMark> duplicates;
  std::optional<RunError> error;

  bool ok() const { return !error.has_value(); }
  // True when the message is stored nowhere, sent nowhere and not refused (what `discard` leaves).
  bool discarded() const;
};

// One action per line, as docs/sieve.md ("The actions as `letterbox-sieve test` prints them") defines.
std::string print_run_result(const RunResult& result);

}  // namespace letterbox::sieve
