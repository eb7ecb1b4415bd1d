#include "letterbox/observe/metrics.hpp"

#include <algorithm>
#include <charconv>

namespace letterbox {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// The shortest text that reads back as the same double: 0.0025 stays 0.0025, and a large sum keeps
// every digit it has.
std::string number(double value) {
  std::array<char, 32> buf{};
  const auto end = std::to_chars(buf.data(), buf.data() + buf.size(), value).ptr;
  return {buf.data(), end};
}

// Label values are ours (reply codes, names), but a value is escaped as the format says all the same.
std::string label(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void replies(std::string& out, std::string_view name, std::string_view help,
             const std::array<std::uint64_t, kCountedReplies.size()>& counts) {
  family(out, name, "counter", help);
  for (std::size_t i = 0; i < kCountedReplies.size(); ++i) {
    out.append(name)
        .append("{code=\"")
        .append(std::to_string(kCountedReplies[i].code))
        .append("\",enhanced=\"")
        .append(kCountedReplies[i].enhanced)
        .append("\"} ")
        .append(std::to_string(counts[i]))
        .append("\n");
  }
}

void single(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            const std::string& value) {
  family(out, name, type, help);
  out.append(name).append(" ").append(value).append("\n");
}

constexpr std::array<LookupKind, 4> kLookupKindOrder{LookupKind::Found, LookupKind::Unknown, LookupKind::Ambiguous,
                                                     LookupKind::Unavailable};
constexpr std::array<LookupSource, 3> kLookupSourceOrder{LookupSource::Directory, LookupSource::Cache,
                                                         LookupSource::Stale};

std::size_t lookup_index(LookupKind kind, LookupSource source) {
  const auto k = static_cast<std::size_t>(std::find(kLookupKindOrder.begin(), kLookupKindOrder.end(), kind) -
                                          kLookupKindOrder.begin());
  const auto s = static_cast<std::size_t>(std::find(kLookupSourceOrder.begin(), kLookupSourceOrder.end(), source) -
                                          kLookupSourceOrder.begin());
  return k * kLookupSourceOrder.size() + s;
}

// One counter family with one label, the values in the order of `results` (the enum's).
template <std::size_t N>
void by_result(std::string& out, std::string_view name, std::string_view help,
               const std::array<std::string_view, N>& results, const std::array<std::atomic<std::uint64_t>, N>& counts,
               std::string_view label = "result") {
  family(out, name, "counter", help);
  for (std::size_t i = 0; i < N; ++i) {
    out.append(name)
        .append("{")
        .append(label)
        .append("=\"")
        .append(results[i])
        .append("\"} ")
        .append(std::to_string(counts[i].load(kRelaxed)))
        .append("\n");
  }
}

bool is_enhanced_code(std::string_view word) {
  // "4.7.1": class digit, dot, subject, dot, detail (RFC 3463).
  if (word.size() < 5 || (word[0] != '2' && word[0] != '4' && word[0] != '5') || word[1] != '.') return false;
  return std::all_of(word.begin(), word.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
}

}  // namespace

std::optional<std::size_t> counted_reply_index(const Outcome& outcome) {
  for (std::size_t i = 0; i < kCountedReplies.size(); ++i) {
    if (kCountedReplies[i].code == outcome.code && kCountedReplies[i].enhanced == outcome.enhanced) return i;
  }
  return std::nullopt;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(std::chrono::nanoseconds value) {
  const double seconds = std::chrono::duration<double>(value).count();
  const auto bucket =
      static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin());
  counts_[bucket].fetch_add(1, kRelaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, value.count())), kRelaxed);
}

void Histogram::render(std::string& out, std::string_view name, std::string_view help) const {
  family(out, name, "histogram", help);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(kRelaxed);
    const std::string le = i < bounds_.size() ? number(bounds_[i]) : "+Inf";
    out.append(name).append("_bucket{le=\"").append(le).append("\"} ").append(std::to_string(cumulative)).append("\n");
  }
  out.append(name).append("_sum ").append(number(static_cast<double>(sum_ns_.load(kRelaxed)) / 1e9)).append("\n");
  out.append(name).append("_count ").append(std::to_string(cumulative)).append("\n");
}

Metrics::Metrics()
    : delivery_seconds_({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
      directory_seconds_({0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}),
      lock_wait_seconds_({0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}) {}

void Metrics::count_delivery(const Outcome& outcome, bool wrote, std::chrono::nanoseconds delay) {
  if (const auto i = counted_reply_index(outcome)) deliveries_[*i].fetch_add(1, kRelaxed);
  if (wrote) delivery_seconds_.observe(delay);
}

void Metrics::count_lookup(const Lookup& lookup) {
  lookups_[lookup_index(lookup.kind, lookup.source)].fetch_add(1, kRelaxed);
}

void Metrics::observe_directory_lookup(std::chrono::nanoseconds took) {
  directory_seconds_.observe(took);
}

void Metrics::count_lock_wait(std::chrono::nanoseconds waited, bool obtained) {
  lock_waits_.fetch_add(1, kRelaxed);
  if (!obtained) lock_timeouts_.fetch_add(1, kRelaxed);
  lock_wait_seconds_.observe(waited);
}

void Metrics::count_lock_refusal() {
  lock_timeouts_.fetch_add(1, kRelaxed);
}

void Metrics::session_opened() {
  sessions_open_.fetch_add(1, kRelaxed);
  sessions_total_.fetch_add(1, kRelaxed);
}

void Metrics::session_closed() {
  sessions_open_.fetch_sub(1, kRelaxed);
}

void Metrics::count_redirect(RedirectResult result) {
  redirects_[static_cast<std::size_t>(result)].fetch_add(1, kRelaxed);
}

void Metrics::count_sieve_run(SieveRunResult result) {
  sieve_runs_[static_cast<std::size_t>(result)].fetch_add(1, kRelaxed);
}

void Metrics::count_sieve_action(SieveActionKind kind) {
  sieve_actions_[static_cast<std::size_t>(kind)].fetch_add(1, kRelaxed);
}

void Metrics::count_vacation(VacationResult result) {
  vacations_[static_cast<std::size_t>(result)].fetch_add(1, kRelaxed);
}

void Metrics::count_managesieve_login(ManageSieveLoginResult result) {
  managesieve_logins_[static_cast<std::size_t>(result)].fetch_add(1, kRelaxed);
}

void Metrics::count_managesieve_command(std::string_view name) {
  const auto known = std::find(kManageSieveCommands.begin(), kManageSieveCommands.end(), name);
  managesieve_commands_[static_cast<std::size_t>(known - kManageSieveCommands.begin())].fetch_add(1, kRelaxed);
}

void Metrics::count_managesieve_script_stored() {
  managesieve_scripts_stored_.fetch_add(1, kRelaxed);
}

void Metrics::count_policy_decision(std::string_view action) {
  const auto space = action.find(' ');
  std::string word(action.substr(0, space));
  std::string enhanced;
  if (space != std::string_view::npos) {
    const auto rest = action.substr(space + 1);
    const auto candidate = rest.substr(0, rest.find(' '));
    if (is_enhanced_code(candidate)) enhanced = candidate;
  }
  std::lock_guard lock(decisions_mutex_);
  ++decisions_[{std::move(word), std::move(enhanced)}];
}

std::string Metrics::render(const MetricsExtras& extras) const {
  std::string out;
  out.reserve(8192);
  family(out, "letterbox_build_info", "gauge", "The program and version serving these metrics.");
  out.append("letterbox_build_info{program=\"")
      .append(label(extras.program))
      .append("\",version=\"" LETTERBOX_VERSION "\"} 1\n");

  std::array<std::uint64_t, kCountedReplies.size()> deliveries{};
  for (std::size_t i = 0; i < deliveries.size(); ++i) deliveries[i] = deliveries_[i].load(kRelaxed);
  replies(out, "letterbox_deliveries_total", "Recipients answered, by reply code and enhanced status code.",
          deliveries);
  delivery_seconds_.render(out, "letterbox_delivery_duration_seconds",
                           "Time from the end of the message to the durable copy (or the failure), per recipient.");
  if (extras.lda) {
    replies(out, "letterbox_lda_deliveries_total",
            "letterbox-lda deliveries on this host, counted in the shared cache file (every daemon sharing the "
            "file reports the same host-wide value).",
            *extras.lda);
  }

  family(out, "letterbox_lookups_total", "counter", "Directory answers, by result and by where they came from.");
  for (const auto kind : kLookupKindOrder) {
    for (const auto source : kLookupSourceOrder) {
      out.append("letterbox_lookups_total{result=\"")
          .append(lookup_kind_name(kind))
          .append("\",source=\"")
          .append(lookup_source_name(source))
          .append("\"} ")
          .append(std::to_string(lookups_[lookup_index(kind, source)].load(kRelaxed)))
          .append("\n");
    }
  }
  directory_seconds_.render(out, "letterbox_directory_lookup_duration_seconds",
                            "Round trips to the LDAP directory (cache hits not included).");

  single(out, "letterbox_lock_waits_total", "counter", "Mailbox locks that were busy at the first try.",
         std::to_string(lock_waits_.load(kRelaxed)));
  single(out, "letterbox_lock_timeouts_total", "counter",
         "Mailbox locks not obtained: lock_timeout passed or max_lock_waiters were waiting (450 4.2.0).",
         std::to_string(lock_timeouts_.load(kRelaxed)));
  lock_wait_seconds_.render(out, "letterbox_lock_wait_duration_seconds", "Time spent waiting for a busy mailbox lock.");

  single(out, "letterbox_sessions_open", "gauge", "Connections being served now.",
         std::to_string(std::max<std::int64_t>(0, sessions_open_.load(kRelaxed))));
  single(out, "letterbox_sessions_total", "counter", "Connections served since the start.",
         std::to_string(sessions_total_.load(kRelaxed)));

  by_result(out, "letterbox_sieve_runs_total",
            "Recipients' Sieve scripts run: to their end (ok), or stopped by an error or a limit (error: logged, "
            "the message kept in the inbox).",
            std::array<std::string_view, 2>{"ok", "error"}, sieve_runs_);
  by_result(out, "letterbox_sieve_actions_total",
            "What the scripts asked for, one per action (discard: a run that left no action at all).",
            std::array<std::string_view, 6>{"keep", "fileinto", "redirect", "reject", "vacation", "discard"},
            sieve_actions_, "action");
  by_result(out, "letterbox_sieve_redirects_total",
            "Sieve redirects: handed to sendmail, failed (the recipient got 451 4.3.0), or skipped (a loop or a "
            "duplicate within redirect_duplicate_period).",
            std::array<std::string_view, 3>{"sent", "failed", "skipped"}, redirects_);
  by_result(out, "letterbox_sieve_vacation_replies_total",
            "Sieve vacation replies: handed to sendmail, suppressed (RFC 5230 rules, already answered within the "
            "period, no tracking), or failed to send (logged; the delivery stands).",
            std::array<std::string_view, 3>{"sent", "suppressed", "failed"}, vacations_);

  by_result(out, "letterbox_managesieve_logins_total",
            "ManageSieve logins: accepted, refused (no such user or a wrong password), disabled account, or the "
            "directory unavailable (TRYLATER).",
            std::array<std::string_view, 4>{"accepted", "refused", "disabled", "unavailable"}, managesieve_logins_);
  std::array<std::string_view, kManageSieveCommands.size() + 1> commands{};
  std::copy(kManageSieveCommands.begin(), kManageSieveCommands.end(), commands.begin());
  commands.back() = "other";
  by_result(out, "letterbox_managesieve_commands_total", "ManageSieve command lines, by command.", commands,
            managesieve_commands_, "command");
  single(out, "letterbox_managesieve_scripts_stored_total", "counter", "Scripts written by PUTSCRIPT.",
         std::to_string(managesieve_scripts_stored_.load(kRelaxed)));

  family(out, "letterbox_policy_decisions_total", "counter",
         "Policy answers given to Postfix, by action and enhanced status code.");
  {
    std::lock_guard lock(decisions_mutex_);
    for (const auto& [key, count] : decisions_) {
      out.append("letterbox_policy_decisions_total{action=\"")
          .append(label(key.first))
          .append("\",enhanced=\"")
          .append(label(key.second))
          .append("\"} ")
          .append(std::to_string(count))
          .append("\n");
    }
  }
  if (extras.greylist_entries) {
    single(out, "letterbox_greylist_entries", "gauge", "Live entries in the greylist store (triplets and networks).",
           std::to_string(*extras.greylist_entries));
  }
  return out;
}

Metrics& metrics() {
  static Metrics registry;
  return registry;
}

}  // namespace letterbox
