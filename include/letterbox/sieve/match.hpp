// One test's comparison: a list of values from the message against the script's list of keys, under a
// match type and a comparator (RFC 5228 §2.7, relational RFC 5231, regex draft). Any value matching any key
// makes the test true; :count instead counts the values once and compares that number with each key.
// Plain strings in and out: the interpreter gets the values from the message and the keys from the script.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "letterbox/sieve/comparator.hpp"
#include "letterbox/sieve/regex.hpp"

namespace letterbox::sieve {

enum class MatchType { is, contains, matches, regex, value, count };
enum class Relation { gt, ge, lt, le, eq, ne };

// The tags' names without the colon: "is", "contains", "matches", "regex", "value", "count".
std::optional<MatchType> find_match_type(std::string_view name);
std::string_view match_type_name(MatchType type);

// "gt", "ge", "lt", "le", "eq", "ne" in any case (ABNF strings are case-insensitive).
std::optional<Relation> find_relation(std::string_view name);
std::string_view relation_name(Relation r);
bool relation_holds(Relation r, int order);

struct MatchSpec {
  MatchType type = MatchType::is;
  Comparator comparator = Comparator::ascii_casemap;
  Relation relation = Relation::eq;  // for :value and :count only
};

// Is the comparator usable with the match type (RFC 5228 §2.7.1: an error in the script otherwise)?
bool match_type_allowed(MatchType type, Comparator c);

// ${0}.. as the last successful :matches or :regex left them (RFC 5229 §3.2).
struct MatchVariables {
  std::vector<std::string> values;
  // ${index}, or "" out of range.
  std::string_view get(std::size_t index) const;
};

struct MatchResult {
  bool matched = false;
  std::string error;  // a :regex key that does not compile (keys may come from variables at run time)
};

// With `variables`, a successful :matches or :regex replaces them: ${0} the whole value (:matches) or the
// matched text (:regex), then one per wildcard or group. Values and keys are tried value by value, each
// against every key in order, stopping at the first match. `regexes` may be null (compiled each time).
MatchResult match(const MatchSpec& spec, std::span<const std::string> values, std::span<const std::string> keys,
                  MatchVariables* variables = nullptr, RegexCache* regexes = nullptr);

// One value against one key (:is, :contains, :matches, :regex, :value); `captures` as for `match`.
// For :regex without a cache the expression is compiled here; `error` is set if it does not compile.
bool match_one(const MatchSpec& spec, std::string_view value, std::string_view key, std::vector<std::string>* captures,
               RegexCache* regexes, std::string& error);

}  // namespace letterbox::sieve
