// The tests extensions add that do not read the message's addresses or body: date and currentdate
// (RFC 5260), hasflag (RFC 5232 §4), mailboxexists (RFC 5490 §3.1), duplicate (RFC 7352), environment
// (RFC 5183).
#include <algorithm>

#include "letterbox/sieve/imap_flags.hpp"
#include "letterbox/util/text.hpp"
#include "run_state.hpp"

namespace letterbox::sieve {
namespace {

// RFC 5260 §4: the date is the whole field, or what follows its last ';' (as in Received:).
std::optional<DateTime> field_date(std::string_view value) {
  const auto semicolon = value.rfind(';');
  return parse_date_header(semicolon == std::string_view::npos ? value : value.substr(semicolon + 1));
}

// The zone a date is looked at in: :zone, :originalzone (`original`), else the local one (RFC 5260 §4.1).
std::optional<ZoneOffset> test_zone(Run& run, const Frame& frame, const Test& test, ZoneOffset original) {
  if (test.zone_kind == ZoneKind::original) return original;
  if (test.zone_kind == ZoneKind::zone) return parse_zone(run.expand(frame, test.zone));
  return run.input().environment.local_zone;
}

// The date-part of `t` in the test's zone against the keys; with :count, 1 if there is a date at all.
bool match_date(Run& run, Frame& frame, const Test& test, const std::optional<DateTime>& t) {
  std::vector<std::string> values;
  if (t) {
    const auto zone = test_zone(run, frame, test, t->zone);
    const auto part = zone ? date_part(in_zone(*t, *zone), run.expand(frame, test.date_part)) : std::nullopt;
    if (part) values.push_back(*part);
  }
  if (values.empty() && test.match.type != MatchType::count) return false;
  return match_values(run, frame, test, values);
}

bool date_test(Run& run, Frame& frame, const Test& test) {
  const auto fields = run.headers().decoded_values(run.expand(frame, test.names.front()));
  std::optional<DateTime> t;
  const FieldIndex& index = test.index;
  const std::size_t wanted = index.index == 0 ? 1 : index.index;  // RFC 5260 §4: the first by default
  if (wanted <= fields.size()) t = field_date(fields[index.last ? fields.size() - wanted : wanted - 1]);
  return match_date(run, frame, test, t);
}

bool currentdate_test(Run& run, Frame& frame, const Test& test) {
  const auto now = std::chrono::system_clock::to_time_t(run.input().environment.now);
  return match_date(run, frame, test, from_unix_time(now, ZoneOffset{}));
}

// RFC 5232 §4: the flags of the named variables (or the internal one); :count sums each one's distinct flags.
// Keys are flag lists too ("b A" is ["b", "A"]), split but not checked, so that patterns stay patterns.
bool hasflag_test(Run& run, Frame& frame, const Test& test) {
  std::vector<std::string> keys;
  for (const auto& key : run.expand(frame, test.keys)) {
    for (auto& word : split_words(key, " ")) keys.push_back(std::move(word));
  }
  std::vector<std::string> flags;
  if (test.names.empty()) {
    flags = run.internal_flags();
  } else {
    for (const auto& name : run.expand(frame, test.names)) {
      for (auto& flag : normalise_flags(run.variable(frame, name).value_or(""))) flags.push_back(std::move(flag));
    }
  }
  return match_values(run, frame, test, flags, true, &keys);
}

bool mailboxexists_test(Run& run, const Frame& frame, const Test& test) {
  const auto names = run.expand(frame, test.names);
  return std::all_of(names.begin(), names.end(), [&](const std::string& name) {
    return run.in_time(frame, test.where) && run.host().mailbox_exists(name);
  });
}

// RFC 5228 §2.4.2.2: a header name is printable ASCII but ':' and space.
bool is_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 127 && c != ':'; });
}

// RFC 7352 §3: the ID is :uniqueid, or the first named field (Message-ID by default) unfolded, decoded
// and trimmed; no ID, a bad header name or :seconds 0 make the test false and record nothing.
bool duplicate_test(Run& run, const Frame& frame, const Test& test) {
  std::string id;
  if (test.uniqueid) {
    id = run.expand(frame, *test.uniqueid);
  } else {
    const std::string name = test.header ? run.expand(frame, *test.header) : "Message-ID";
    if (!is_header_name(name)) return false;
    const auto values = run.headers().decoded_values(name);
    if (values.empty()) return false;
    id = values.front();
  }
  const RunLimits& limits = run.limits();
  const std::uint64_t seconds =
      std::min(test.seconds.value_or(limits.duplicate_default_period), limits.duplicate_max_period);
  if (seconds == 0) return false;
  std::string handle = test.handle ? run.expand(frame, *test.handle) : "";
  const bool seen = run.host().duplicate_seen(handle, id, seconds);
  run.mark_duplicate(DuplicateMark{std::move(handle), std::move(id), seconds, test.last});
  return seen;
}

// RFC 5183 §4.1; an unknown item (or remote-host/-ip when not known) makes the test false.
std::optional<std::string> environment_item(const RunEnvironment& environment, std::string_view name) {
  if (name == "domain") return environment.domain;
  if (name == "host") return environment.host;
  if (name == "location") return environment.location;
  if (name == "phase") return environment.phase;
  if (name == "name") return environment.name;
  if (name == "version") return environment.version;
  if (name == "remote-host" && !environment.remote_host.empty()) return environment.remote_host;
  if (name == "remote-ip" && !environment.remote_ip.empty()) return environment.remote_ip;
  return std::nullopt;
}

// :count is 0 for an empty item, 1 otherwise.
bool environment_test(Run& run, Frame& frame, const Test& test) {
  const auto item = environment_item(run.input().environment, run.expand(frame, test.names.front()));
  if (!item) return false;
  std::vector<std::string> values;
  if (test.match.type != MatchType::count || !item->empty()) values.push_back(*item);
  return match_values(run, frame, test, values);
}

}  // namespace

bool evaluate_extension_test(Run& run, Frame& frame, const Test& test) {
  switch (test.kind) {
    case TestKind::date: return date_test(run, frame, test);
    case TestKind::currentdate: return currentdate_test(run, frame, test);
    case TestKind::hasflag: return hasflag_test(run, frame, test);
    case TestKind::mailboxexists: return mailboxexists_test(run, frame, test);
    case TestKind::duplicate: return duplicate_test(run, frame, test);
    case TestKind::environment: return environment_test(run, frame, test);
    default: return false;
  }
}

}  // namespace letterbox::sieve
