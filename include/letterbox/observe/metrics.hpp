// Metrics: what the METRICS sections of letterbox-lmtpd(8), letterbox-policyd(8) and letterbox-managesieved(8) list,
// kept in this process with lock-free atomics (a delivery or a lookup pays a few relaxed increments) and written out on
// demand in the Prometheus text exposition format, version 0.0.4. One registry per process, reached through metrics():
// the counters are bumped deep in the core (a lookup, a lock wait, a delivery's log line) where threading a reference
// through every constructor would buy nothing. Counting never fails and never blocks mail.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "letterbox/mail/lookup.hpp"
#include "letterbox/mail/outcome.hpp"

namespace letterbox {

// Every (reply code, enhanced code) an Outcome can carry, numbered for counting. The numbering is part
// of the shared cache file's format (letterbox-lda's counts live there): new replies go at the end.
struct CountedReply {
  int code;
  std::string_view enhanced;
};
inline constexpr std::array<CountedReply, 16> kCountedReplies{{
    {250, "2.0.0"},
    {550, "5.1.1"},
    {550, "5.2.1"},
    {450, "4.2.1"},
    {450, "4.4.3"},
    {450, "4.2.0"},
    {450, "4.2.2"},
    {452, "4.2.2"},
    {552, "5.2.2"},
    {452, "4.3.1"},
    {451, "4.3.0"},
    {552, "5.3.4"},
    {500, "5.5.2"},
    {450, "4.4.4"},
    {450, "4.4.6"},
    {451, "4.4.1"},
}};
std::optional<std::size_t> counted_reply_index(const Outcome& outcome);

// What became of one Sieve redirect or vacation reply (letterbox_sieve_redirects_total and
// letterbox_sieve_vacation_replies_total).
enum class RedirectResult { sent, failed, skipped };
enum class VacationResult { sent, suppressed, failed };
// One recipient's scripts: run to their end, or stopped by an error or a limit (the message kept in the
// inbox) (letterbox_sieve_runs_total); and what they asked for (letterbox_sieve_actions_total).
enum class SieveRunResult { ok, error };
enum class SieveActionKind { keep, fileinto, redirect, reject, vacation, discard };

// What became of one ManageSieve login (letterbox_managesieve_logins_total).
enum class ManageSieveLoginResult { accepted, refused, disabled, unavailable };
// The commands letterbox_managesieve_commands_total counts by name; any other name counts as "other", so
// that a client cannot grow the label set.
inline constexpr std::array<std::string_view, 14> kManageSieveCommands{
    "CAPABILITY", "STARTTLS",    "AUTHENTICATE", "LOGOUT",    "NOOP",      "UNAUTHENTICATE", "HAVESPACE",
    "PUTSCRIPT",  "CHECKSCRIPT", "LISTSCRIPTS",  "SETACTIVE", "GETSCRIPT", "DELETESCRIPT",   "RENAMESCRIPT"};

// Cumulative buckets in seconds, as Prometheus wants them; observe() is two relaxed increments.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(std::chrono::nanoseconds value);
  void render(std::string& out, std::string_view name, std::string_view help) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1 (the last is +Inf)
  std::atomic<std::uint64_t> sum_ns_{0};
};

// What only the daemon knows at the time of a scrape.
struct MetricsExtras {
  std::string_view program;                                              // "letterbox-lmtpd"
  std::optional<std::array<std::uint64_t, kCountedReplies.size()>> lda;  // from the shared cache file
  std::optional<std::uint64_t> greylist_entries;                         // when greylisting is on
};

class Metrics {
 public:
  Metrics();

  // One recipient answered. `wrote` is true when a copy was written (or tried) in a mailbox: only those
  // go into the delivery latency histogram, not refusals at RCPT time.
  void count_delivery(const Outcome& outcome, bool wrote, std::chrono::nanoseconds delay);
  void count_lookup(const Lookup& lookup);
  void observe_directory_lookup(std::chrono::nanoseconds took);
  // A lock that was not free at the first try: how long it was waited for, and whether it came.
  void count_lock_wait(std::chrono::nanoseconds waited, bool obtained);
  // A lock not even waited for: max_lock_waiters deliveries were already waiting.
  void count_lock_refusal();
  void session_opened();
  void session_closed();
  void count_redirect(RedirectResult result);
  void count_vacation(VacationResult result);
  void count_sieve_run(SieveRunResult result);
  void count_sieve_action(SieveActionKind kind);
  // A policy action as sent to Postfix ("DUNNO", "550 5.1.1 User unknown", "DEFER_IF_PERMIT 4.7.1 …").
  void count_policy_decision(std::string_view action);
  // letterbox-managesieved: a login's verdict, a command line by its name, a script written by PUTSCRIPT.
  void count_managesieve_login(ManageSieveLoginResult result);
  void count_managesieve_command(std::string_view name);
  void count_managesieve_script_stored();

  [[nodiscard]] std::string render(const MetricsExtras& extras) const;

 private:
  static constexpr std::size_t kLookupKinds = 4;
  static constexpr std::size_t kLookupSources = 3;

  std::array<std::atomic<std::uint64_t>, kCountedReplies.size()> deliveries_{};
  std::array<std::atomic<std::uint64_t>, kLookupKinds * kLookupSources> lookups_{};
  Histogram delivery_seconds_;
  Histogram directory_seconds_;
  Histogram lock_wait_seconds_;
  std::atomic<std::uint64_t> lock_waits_{0};
  std::atomic<std::uint64_t> lock_timeouts_{0};
  std::atomic<std::int64_t> sessions_open_{0};
  std::atomic<std::uint64_t> sessions_total_{0};
  std::array<std::atomic<std::uint64_t>, 3> redirects_{};           // by RedirectResult
  std::array<std::atomic<std::uint64_t>, 3> vacations_{};           // by VacationResult
  std::array<std::atomic<std::uint64_t>, 2> sieve_runs_{};          // by SieveRunResult
  std::array<std::atomic<std::uint64_t>, 6> sieve_actions_{};       // by SieveActionKind
  std::array<std::atomic<std::uint64_t>, 4> managesieve_logins_{};  // by ManageSieveLoginResult
  std::array<std::atomic<std::uint64_t>, kManageSieveCommands.size() + 1> managesieve_commands_{};  // + "other"
  std::atomic<std::uint64_t> managesieve_scripts_stored_{0};
  mutable std::mutex decisions_mutex_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> decisions_;  // (action, enhanced) -> count
};

// This process's registry.
Metrics& metrics();

}  // namespace letterbox
