#include "compile_match.hpp"

#include <re2/re2.h>

#include <array>

#include "letterbox/util/text.hpp"

namespace letterbox::sieve {
namespace {

bool comparator(Arguments& arguments, const ast::Argument& tag, Match& match) {
  Context& context = arguments.context();
  String name;
  if (!arguments.tag_string(tag, name)) return true;
  const std::string lower = ascii_lower(name.text);
  if (name.has_variables) {
    context.error(tag.where, "the comparator name cannot contain variables");
  } else if (const auto found = find_comparator(lower)) {
    const bool allowed =
        *found != Comparator::ascii_numeric ||
        context.needs(Extension::comparator_ascii_numeric, tag.where, "comparator \"i;ascii-numeric\"");
    if (allowed) match.comparator = *found;
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
  const auto type = find_match_type(name);
  if (!type) return false;
  const bool claimed = arguments.claim(tag, "match type");
  if (*type == MatchType::regex) {
    context.needs(Extension::regex, tag.where, "tag \":regex\"");
  } else if (*type == MatchType::count || *type == MatchType::value) {
    context.needs(Extension::relational, tag.where, "tag \":" + name + "\"");
    relation(arguments, tag, match);
  }
  if (claimed) match.type = *type;
  return true;
}

bool address_part_tag(Arguments& arguments, const ast::Argument& tag, AddressPart& part) {
  const std::string name = arguments.tag_name(tag);
  const auto found = find_address_part(name);
  if (!found) return false;
  if (*found == AddressPart::user || *found == AddressPart::detail) {
    arguments.context().needs(Extension::subaddress, tag.where, "tag \":" + name + "\"");
  }
  if (arguments.claim(tag, "address part")) part = *found;
  return true;
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
