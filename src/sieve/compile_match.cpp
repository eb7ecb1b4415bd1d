#include "compile_match.hpp"

#include <re2/re2.h>

#include <array>

#include "letterbox/util/text.hpp"

namespace letterbox::sieve {
namespace {

struct MatchTypeName {
  std::string_view name;
  MatchType type;
};
constexpr std::array<MatchTypeName, 6> kMatchTypes = {{{"is", MatchType::is},
                                                       {"contains", MatchType::contains},
                                                       {"matches", MatchType::matches},
                                                       {"regex", MatchType::regex},
                                                       {"count", MatchType::count},
                                                       {"value", MatchType::value}}};

bool comparator(Arguments& arguments, const ast::Argument& tag, Match& match) {
  Context& context = arguments.context();
  String name;
  if (!arguments.tag_string(tag, name)) return true;
  const std::string lower = ascii_lower(name.text);
  if (name.has_variables) {
    context.error(tag.where, "the comparator name cannot contain variables");
  } else if (lower == "i;octet") {
    match.comparator = Comparator::octet;
  } else if (lower == "i;ascii-casemap") {
    match.comparator = Comparator::ascii_casemap;
  } else if (lower == "i;ascii-numeric") {
    if (context.needs(Extension::comparator_ascii_numeric, tag.where, "comparator \"i;ascii-numeric\"")) {
      match.comparator = Comparator::ascii_numeric;
    }
  } else {
    context.error(tag.where, "unknown comparator \"" + name.text + "\"");
  }
  return true;
}

void relation(Arguments& arguments, const ast::Argument& tag, Match& match) {
  String name;
  if (!arguments.tag_string(tag, name)) return;
  if (const auto found = find_relation(name.text); found && !name.has_variables) {
    match.relation = *found;
    return;
  }
  arguments.context().error(tag.where, "tag \":" + arguments.tag_name(tag) +
                                           "\" needs a relational operator "
                                           "(\"gt\", \"ge\", \"lt\", \"le\", \"eq\" or \"ne\"), found \"" +
                                           name.text + "\"");
}

}  // namespace

bool match_tag(Arguments& arguments, const ast::Argument& tag, Match& match) {
  const std::string name = arguments.tag_name(tag);
  Context& context = arguments.context();
  if (name == "comparator") {
    if (arguments.claim(tag, "comparator")) return comparator(arguments, tag, match);
    String ignored;
    arguments.tag_string(tag, ignored);
    return true;
  }
  for (const auto& candidate : kMatchTypes) {
    if (name != candidate.name) continue;
    const bool claimed = arguments.claim(tag, "match type");
    if (candidate.type == MatchType::regex) {
      context.needs(Extension::regex, tag.where, "tag \":regex\"");
    } else if (candidate.type == MatchType::count || candidate.type == MatchType::value) {
      context.needs(Extension::relational, tag.where, "tag \":" + name + "\"");
      relation(arguments, tag, match);
    }
    if (claimed) match.type = candidate.type;
    return true;
  }
  return false;
}

bool address_part_tag(Arguments& arguments, const ast::Argument& tag, AddressPart& part) {
  static constexpr std::array<std::pair<std::string_view, AddressPart>, 5> kParts = {{
      {"all", AddressPart::all},
      {"localpart", AddressPart::localpart},
      {"domain", AddressPart::domain},
      {"user", AddressPart::user},
      {"detail", AddressPart::detail},
  }};
  const std::string name = arguments.tag_name(tag);
  for (const auto& [candidate, value] : kParts) {
    if (name != candidate) continue;
    if (value == AddressPart::user || value == AddressPart::detail) {
      arguments.context().needs(Extension::subaddress, tag.where, "tag \":" + name + "\"");
    }
    if (arguments.claim(tag, "address part")) part = value;
    return true;
  }
  return false;
}

bool index_tag(Arguments& arguments, const ast::Argument& tag, FieldIndex& index) {
  const std::string name = arguments.tag_name(tag);
  if (name != "index" && name != "last") return false;
  arguments.context().needs(Extension::index, tag.where, "tag \":" + name + "\"");
  arguments.claim(tag, name);
  if (name == "last") {
    index.last = true;
    return true;
  }
  std::uint64_t number = 0;
  if (!arguments.tag_number(tag, number)) return true;
  if (number == 0 || number > 0x7fffffff) {
    arguments.context().error(tag.where, "tag \":index\" needs a number from 1 to 2147483647");
  } else {
    index.index = static_cast<unsigned>(number);
  }
  return true;
}

bool finish_index(Context& context, Position where, const FieldIndex& index) {
  if (index.last && index.index == 0) return context.error(where, "tag \":last\" needs \":index\"");
  return true;
}

bool finish_match(Context& context, Position where, Match& match, const StringList& keys) {
  if (!match_type_allowed(match.type, match.comparator)) {
    return context.error(where, "comparator \"" + std::string(comparator_name(match.comparator)) +
                                    "\" does not support this match type");
  }
  if (match.type != MatchType::regex) return true;
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(match.comparator != Comparator::ascii_casemap);
  bool ok = true;
  for (const auto& key : keys) {
    if (key.has_variables) {
      match.regexes.emplace_back();
      continue;
    }
    auto regex = std::make_shared<const RE2>(key.text, options);
    if (!regex->ok()) ok = context.error(where, "invalid regular expression \"" + key.text + "\": " + regex->error());
    match.regexes.push_back(std::move(regex));
  }
  return ok;
}

}  // namespace letterbox::sieve
