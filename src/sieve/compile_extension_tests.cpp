#include "compile_extension_tests.hpp"

#include <algorithm>
#include <array>

#include "compile_match.hpp"
#include "letterbox/sieve/variables.hpp"
#include "letterbox/util/text.hpp"
#include "strings.hpp"

namespace letterbox::sieve {
namespace {

bool match_only(Arguments& arguments, Test& test) {
  for_each_tag(arguments, [&](const ast::Argument& tag) { return match_tag(arguments, tag, test.match); });
  return true;
}

bool finish(Arguments& arguments, Test& test) {
  return arguments.finish() && finish_match(arguments.context(), arguments.node_where(), test.match, test.keys);
}

// RFC 5260 §4: "+hhmm" or "-hhmm".
bool check_zone(Context& context, Position where, const String& zone) {
  if (zone.has_variables) return true;
  const std::string& z = zone.text;
  const bool ok = z.size() == 5 && (z[0] == '+' || z[0] == '-') &&
                  std::all_of(z.begin() + 1, z.end(), [](char c) { return c >= '0' && c <= '9'; });
  return ok || context.error(where, "invalid time zone \"" + z + "\" (expected +hhmm or -hhmm)");
}

// RFC 5260 §4.2.
bool check_date_part(Context& context, Position where, String& part) {
  static constexpr std::array<std::string_view, 13> kParts = {"year",  "month",  "day",    "date", "julian",
                                                              "hour",  "minute", "second", "time", "iso8601",
                                                              "std11", "zone",   "weekday"};
  if (part.has_variables) return true;
  part.text = ascii_lower(part.text);
  if (std::find(kParts.begin(), kParts.end(), part.text) != kParts.end()) return true;
  return context.error(where, "unknown date part \"" + part.text + "\"");
}

bool zone_tag(Arguments& arguments, const ast::Argument& tag, Test& test, bool original_allowed) {
  const std::string name = arguments.tag_name(tag);
  if (name == "originalzone" && original_allowed) {
    if (arguments.claim(tag, "zone")) test.zone_kind = ZoneKind::original;
    return true;
  }
  if (name != "zone") return false;
  const bool claimed = arguments.claim(tag, "zone");
  if (arguments.tag_string(tag, test.zone) && check_zone(arguments.context(), tag.where, test.zone) && claimed) {
    test.zone_kind = ZoneKind::zone;
  }
  return true;
}

bool date_tail(Arguments& arguments, Test& test) {
  return arguments.string("the date part", test.date_part) && arguments.string_list("the keys", test.keys) &&
         finish(arguments, test) && check_date_part(arguments.context(), arguments.node_where(), test.date_part);
}

}  // namespace

// envelope [COMPARATOR] [ADDRESS-PART] [MATCH-TYPE] <envelope-part: string-list> <key-list>
bool compile_envelope(Arguments& arguments, Test& test) {
  for_each_tag(arguments, [&](const ast::Argument& tag) {
    return match_tag(arguments, tag, test.match) || address_part_tag(arguments, tag, test.address_part);
  });
  if (!arguments.string_list("the envelope parts", test.names) || !arguments.string_list("the keys", test.keys)) {
    return false;
  }
  for (auto& part : test.names) {
    if (part.has_variables) continue;
    part.text = ascii_lower(part.text);
    if (part.text != "from" && part.text != "to") {
      return arguments.context().error(arguments.node_where(),
                                       "unknown envelope part \"" + part.text + "\" (\"from\" or \"to\")");
    }
  }
  return finish(arguments, test);
}

// body [COMPARATOR] [MATCH-TYPE] [BODY-TRANSFORM] <key-list>; BODY-TRANSFORM = :raw / :content list / :text
bool compile_body(Arguments& arguments, Test& test) {
  for_each_tag(arguments, [&](const ast::Argument& tag) {
    if (match_tag(arguments, tag, test.match)) return true;
    const std::string name = arguments.tag_name(tag);
    if (name != "raw" && name != "text" && name != "content") return false;
    const bool claimed = arguments.claim(tag, "body transform");
    if (name == "content") {
      if (arguments.tag_string_list(tag, test.content_types) && claimed) test.transform = BodyTransform::content;
    } else if (claimed) {
      test.transform = name == "raw" ? BodyTransform::raw : BodyTransform::text;
    }
    return true;
  });
  return arguments.string_list("the keys", test.keys) && finish(arguments, test);
}

// date [:zone <time-zone> / :originalzone] [COMPARATOR] [MATCH-TYPE] [:index N [:last]]
//      <header-name: string> <date-part: string> <key-list>
bool compile_date(Arguments& arguments, Test& test) {
  for_each_tag(arguments, [&](const ast::Argument& tag) {
    return match_tag(arguments, tag, test.match) || zone_tag(arguments, tag, test, true) ||
           index_tag(arguments, tag, test.index);
  });
  test.names.emplace_back();
  return arguments.string("the header name", test.names.front()) && date_tail(arguments, test) &&
         finish_index(arguments.context(), arguments.node_where(), test.index);
}

// currentdate [:zone <time-zone>] [COMPARATOR] [MATCH-TYPE] <date-part: string> <key-list>
bool compile_currentdate(Arguments& arguments, Test& test) {
  for_each_tag(arguments, [&](const ast::Argument& tag) {
    return match_tag(arguments, tag, test.match) || zone_tag(arguments, tag, test, false);
  });
  return date_tail(arguments, test);
}

// string [MATCH-TYPE] [COMPARATOR] <source: string-list> <key-list>
bool compile_string(Arguments& arguments, Test& test) {
  match_only(arguments, test);
  return arguments.string_list("the source strings", test.names) && arguments.string_list("the keys", test.keys) &&
         finish(arguments, test);
}

// hasflag [MATCH-TYPE] [COMPARATOR] [<variable-list: string-list>] <list-of-flags: string-list>
bool compile_hasflag(Arguments& arguments, Test& test) {
  match_only(arguments, test);
  if (!arguments.string_list("the flags", test.keys)) return false;
  if (arguments.positional_left()) {
    test.names = std::move(test.keys);
    if (!arguments.string_list("the flags", test.keys)) return false;
    Context& context = arguments.context();
    const Position where = arguments.node_where();
    if (!context.needs(Extension::variables, where, "a variable list in \"hasflag\"")) return false;
    for (const auto& name : test.names) {
      if (!is_variable_name(name.text)) return context.error(where, "invalid variable name \"" + name.text + "\"");
    }
  }
  return finish(arguments, test);
}

// mailboxexists <mailbox-names: string-list>
bool compile_mailboxexists(Arguments& arguments, Test& test) {
  for_each_tag(arguments, [](const ast::Argument&) { return false; });
  return arguments.string_list("the mailbox names", test.names) && arguments.finish();
}

// duplicate [:handle <handle: string>] [:header <name: string> / :uniqueid <value: string>]
//           [:seconds <timeout: number>] [:last]
bool compile_duplicate(Arguments& arguments, Test& test) {
  for_each_tag(arguments, [&](const ast::Argument& tag) {
    const std::string name = arguments.tag_name(tag);
    auto& slot = name == "handle" ? test.handle : name == "header" ? test.header : test.uniqueid;
    if (name == "handle" || name == "header" || name == "uniqueid") {
      const bool claimed = arguments.claim(tag, name == "handle" ? "handle" : "identity");
      String value;
      if (arguments.tag_string(tag, value) && claimed) slot = std::move(value);
    } else if (name == "seconds") {
      std::uint64_t seconds = 0;
      if (arguments.claim(tag, name) && arguments.tag_number(tag, seconds)) test.seconds = seconds;
    } else if (name == "last") {
      if (arguments.claim(tag, name)) test.last = true;
    } else {
      return false;
    }
    return true;
  });
  return arguments.finish();
}

// ihave <capabilities: string-list>: constant names, so that the compiler knows them (RFC 5463 §4).
bool compile_ihave(Arguments& arguments, Test& test) {
  for_each_tag(arguments, [](const ast::Argument&) { return false; });
  if (!arguments.string_list("the capabilities", test.names) || !arguments.finish()) return false;
  for (const auto& name : test.names) {
    if (name.has_variables) {
      return arguments.context().error(arguments.node_where(),
                                       "the capabilities of \"ihave\" cannot contain "
                                       "variables");
    }
  }
  return true;
}

// environment [COMPARATOR] [MATCH-TYPE] <name: string> <key-list>
bool compile_environment(Arguments& arguments, Test& test) {
  match_only(arguments, test);
  test.names.emplace_back();
  return arguments.string("the item name", test.names.front()) && arguments.string_list("the keys", test.keys) &&
         finish(arguments, test);
}

}  // namespace letterbox::sieve
