// The tests of RFC 5228 §5 (address, allof, anyof, envelope, exists, false, header, not, size, true) with
// :index (RFC 5260 §6) and the subaddress parts (RFC 5233), body (RFC 5173), string (RFC 5229 §5), ihave
// (RFC 5463 §4); and the comparison every test with a key-list ends in.
#include <algorithm>

#include "compile_plugin.hpp"
#include "letterbox/sieve/address_list.hpp"
#include "letterbox/util/text.hpp"
#include "run_state.hpp"

namespace letterbox::sieve {
namespace {

// Values are compared in slices, so that the CPU budget is checked while a long list is being matched.
constexpr std::size_t kSlice = 16;

// The fields named by `names`, all of the first name, then all of the next... (RFC 5260 §6), or with
// :index only the one it picks. `decoded`: encoded words decoded (header), else as written (address).
std::vector<std::string> field_values(Run& run, const Frame& frame, const Test& test, bool decoded) {
  std::vector<std::string> values;
  for (const auto& name : run.expand(frame, test.names)) {
    if (decoded) {
      for (auto& value : run.headers().decoded_values(name)) values.push_back(std::move(value));
    } else {
      for (const auto value : run.headers().values(name)) values.emplace_back(value);
    }
  }
  const FieldIndex& index = test.index;
  if (index.index == 0) return values;
  if (index.index > values.size()) return {};
  const std::size_t at = index.last ? values.size() - index.index : index.index - 1;
  return {std::move(values[at])};
}

void add_address_parts(std::vector<std::string>& values, std::string_view text, AddressPart part,
                       std::size_t max_items) {
  for (const auto& item : parse_address_list(text, max_items)) {
    if (auto value = address_part(item, part)) values.push_back(std::move(*value));
  }
}

bool address_test(Run& run, Frame& frame, const Test& test) {
  std::vector<std::string> values;
  for (const auto& field : field_values(run, frame, test, false)) {
    add_address_parts(values, field, test.address_part, run.limits().max_match_values);
    if (values.size() >= run.limits().max_match_values) break;
  }
  return match_values(run, frame, test, values);
}

// RFC 5228 §5.4: the null reverse path is "" whatever the address part.
bool envelope_test(Run& run, Frame& frame, const Test& test) {
  const Envelope& envelope = run.input().envelope;
  std::vector<std::string> values;
  for (const auto& part : run.expand(frame, test.names)) {
    const std::string lower = ascii_lower(part);
    if (lower == "from" && envelope.from.empty()) {
      values.emplace_back();
    } else if (lower == "from" || lower == "to") {
      add_address_parts(values, lower == "from" ? envelope.from : envelope.to, test.address_part, 1);
    }
  }
  return match_values(run, frame, test, values);
}

bool exists_test(Run& run, const Frame& frame, const Test& test) {
  const auto names = run.expand(frame, test.names);
  return std::all_of(names.begin(), names.end(), [&](const std::string& name) { return run.headers().has(name); });
}

bool body_test(Run& run, Frame& frame, const Test& test) {
  if (!run.in_time(frame, test.where)) return false;
  const auto types = run.expand(frame, test.content_types);
  const auto values = body_values(run.input().message, test.transform, types, run.limits().body);
  if (!run.in_time(frame, test.where)) return false;
  return match_values(run, frame, test, values, false);  // RFC 5173 §6: no match variables
}

// RFC 5229 §5: :count counts the sources that are not empty.
bool string_test(Run& run, Frame& frame, const Test& test) {
  auto sources = run.expand(frame, test.names);
  if (test.match.type == MatchType::count) std::erase(sources, std::string());
  return match_values(run, frame, test, sources);
}

bool ihave_test(const Test& test) {
  return std::all_of(test.names.begin(), test.names.end(),
                     [](const String& name) { return find_extension(name.text).has_value(); });
}

bool any_of(Run& run, Frame& frame, const std::vector<Test>& tests, bool all) {
  for (const auto& child : tests) {
    const bool holds = evaluate(run, frame, child);
    if (run.failed()) return false;
    if (holds != all) return holds;  // allof stops at the first false, anyof at the first true
  }
  return all;
}

}  // namespace

bool match_values(Run& run, Frame& frame, const Test& test, std::span<const std::string> values, bool captures,
                  const std::vector<std::string>* given_keys) {
  const MatchSpec spec{test.match.type, test.match.comparator, test.match.relation};
  const auto keys = given_keys != nullptr ? *given_keys : run.expand(frame, test.keys);
  if (values.size() > run.limits().max_match_values) values = values.first(run.limits().max_match_values);
  MatchVariables* variables = captures ? &frame.matches : nullptr;
  const auto check = [&](const MatchResult& result) {
    if (!result.error.empty()) run.fail(frame, test.where, result.error);
    return result.matched;
  };
  if (spec.type == MatchType::count) return check(match(spec, values, keys, variables, &run.regexes()));
  for (std::size_t at = 0; at < values.size(); at += kSlice) {
    if (!run.in_time(frame, test.where)) return false;
    const auto slice = values.subspan(at, std::min(kSlice, values.size() - at));
    if (check(match(spec, slice, keys, variables, &run.regexes()))) return true;
    if (run.failed()) return false;
  }
  return false;
}

bool evaluate(Run& run, Frame& frame, const Test& test) {
  if (!run.in_time(frame, test.where)) return false;
  switch (test.kind) {
    case TestKind::true_: return true;
    case TestKind::false_: return false;
    case TestKind::not_: return !evaluate(run, frame, test.children.front()) && !run.failed();
    case TestKind::allof: return any_of(run, frame, test.children, true);
    case TestKind::anyof: return any_of(run, frame, test.children, false);
    case TestKind::address: return address_test(run, frame, test);
    case TestKind::header: return match_values(run, frame, test, field_values(run, frame, test, true));
    case TestKind::exists: return exists_test(run, frame, test);
    case TestKind::size:
      return test.size_over ? run.input().message.size() > test.size_limit
                            : run.input().message.size() < test.size_limit;
    case TestKind::envelope: return envelope_test(run, frame, test);
    case TestKind::body: return body_test(run, frame, test);
    case TestKind::string: return string_test(run, frame, test);
    case TestKind::ihave: return ihave_test(test);
    case TestKind::hosted: return test.hosted->evaluate(run, frame, test);
    default: return evaluate_extension_test(run, frame, test);
  }
}

}  // namespace letterbox::sieve
