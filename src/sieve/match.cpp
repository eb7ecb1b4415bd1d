#include "letterbox/sieve/match.hpp"

#include "letterbox/sieve/wildcard.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

namespace {

bool regex_match(const MatchSpec& spec, std::string_view value, std::string_view key,
                 std::vector<std::string>* captures, RegexCache* regexes, std::string& error) {
  const auto re =
      regexes != nullptr ? regexes->get(key, spec.comparator, error) : Regex::compile(key, spec.comparator, error);
  return re != nullptr && re->search(value, captures);
}

MatchResult count_match(const MatchSpec& spec, std::size_t count, std::span<const std::string> keys) {
  const std::string number = std::to_string(count);
  for (const auto& key : keys) {
    if (relation_holds(spec.relation, comparator_order(spec.comparator, number, key))) return {true, {}};
  }
  return {};
}

}  // namespace

namespace {
constexpr std::pair<std::string_view, MatchType> kMatchTypes[] = {
    {"is", MatchType::is},       {"contains", MatchType::contains}, {"matches", MatchType::matches},
    {"regex", MatchType::regex}, {"value", MatchType::value},       {"count", MatchType::count},
};
constexpr std::pair<std::string_view, Relation> kRelations[] = {
    {"gt", Relation::gt}, {"ge", Relation::ge}, {"lt", Relation::lt},
    {"le", Relation::le}, {"eq", Relation::eq}, {"ne", Relation::ne},
};
}  // namespace

std::optional<MatchType> find_match_type(std::string_view name) {
  for (const auto& [text, type] : kMatchTypes) {
    if (name == text) return type;
  }
  return std::nullopt;
}

std::string_view match_type_name(MatchType type) {
  return kMatchTypes[static_cast<std::size_t>(type)].first;
}

std::optional<Relation> find_relation(std::string_view name) {
  for (const auto& [text, relation] : kRelations) {
    if (iequals_ascii(name, text)) return relation;
  }
  return std::nullopt;
}

std::string_view relation_name(Relation r) {
  return kRelations[static_cast<std::size_t>(r)].first;
}

bool relation_holds(Relation r, int order) {
  switch (r) {
    case Relation::gt: return order > 0;
    case Relation::ge: return order >= 0;
    case Relation::lt: return order < 0;
    case Relation::le: return order <= 0;
    case Relation::eq: return order == 0;
    case Relation::ne: return order != 0;
  }
  return false;
}

bool match_type_allowed(MatchType type, Comparator c) {
  const bool substring = type == MatchType::contains || type == MatchType::matches || type == MatchType::regex;
  return !substring || supports_substring(c);
}

std::string_view MatchVariables::get(std::size_t index) const {
  return index < values.size() ? std::string_view(values[index]) : std::string_view();
}

bool match_one(const MatchSpec& spec, std::string_view value, std::string_view key, std::vector<std::string>* captures,
               RegexCache* regexes, std::string& error) {
  switch (spec.type) {
    case MatchType::is: return comparator_equal(spec.comparator, value, key);
    case MatchType::contains: return contains(value, key, spec.comparator);
    case MatchType::matches: {
      if (!wildcard_match(value, key, spec.comparator, captures)) return false;
      if (captures != nullptr) captures->insert(captures->begin(), std::string(value));
      return true;
    }
    case MatchType::regex: return regex_match(spec, value, key, captures, regexes, error);
    case MatchType::value: return relation_holds(spec.relation, comparator_order(spec.comparator, value, key));
    case MatchType::count: return false;  // a property of the whole list: see match()
  }
  return false;
}

MatchResult match(const MatchSpec& spec, std::span<const std::string> values, std::span<const std::string> keys,
                  MatchVariables* variables, RegexCache* regexes) {
  if (spec.type == MatchType::count) return count_match(spec, values.size(), keys);
  const bool capture = variables != nullptr && (spec.type == MatchType::matches || spec.type == MatchType::regex);
  std::vector<std::string> captures;
  MatchResult result;
  for (const auto& value : values) {
    for (const auto& key : keys) {
      if (!match_one(spec, value, key, capture ? &captures : nullptr, regexes, result.error)) {
        if (!result.error.empty()) return result;
        continue;
      }
      if (capture) variables->values = std::move(captures);
      result.matched = true;
      return result;
    }
  }
  return result;
}

}  // namespace letterbox::sieve
