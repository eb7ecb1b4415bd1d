// The compiled Script back to Sieve text: one canonical spelling per script (tags in a fixed order,
// defaults left out, string lists always in brackets), so that printing what this text compiles to gives
// this text again.
#include <array>

#include "letterbox/sieve/printer.hpp"
#include "strings.hpp"

namespace letterbox::sieve {
namespace {

constexpr std::array<std::string_view, 6> kMatchTypes = {"is", "contains", "matches", "regex", "value", "count"};
constexpr std::array<std::string_view, 6> kRelations = {"gt", "ge", "lt", "le", "eq", "ne"};
constexpr std::array<std::string_view, 3> kComparators = {"i;octet", "i;ascii-casemap", "i;ascii-numeric"};
constexpr std::array<std::string_view, 5> kAddressParts = {"all", "localpart", "domain", "user", "detail"};
constexpr std::array<std::string_view, 19> kTests = {
    "address", "allof",         "anyof",     "exists", "false",      "true",        "header",
    "not",     "size",          "envelope",  "body",   "date",       "currentdate", "string",
    "hasflag", "mailboxexists", "duplicate", "ihave",  "environment"};
constexpr std::array<std::string_view, 17> kCommands = {
    "if",      "stop",    "keep",       "discard", "redirect", "fileinto", "reject", "ereject", "vacation",
    "setflag", "addflag", "removeflag", "set",     "include",  "return",   "global", "error"};
constexpr std::array<std::string_view, 7> kModifiers = {"lower",         "upper",      "lowerfirst", "upperfirst",
                                                        "quotewildcard", "quoteregex", "length"};

template <class Array, class Enum>
std::string_view name_of(const Array& names, Enum value) {
  return names[static_cast<std::size_t>(value)];
}

class Printer {
 public:
  explicit Printer(const Script& script) : encoded_(script.required.has(Extension::encoded_character)) {}

  std::string take() { return std::move(out_); }

  void require(const ExtensionSet& required) {
    StringList names;
    for (const auto name : supported_extension_names()) {
      if (required.has(*find_extension(name))) names.push_back({std::string(name), false});
    }
    if (names.empty()) return;
    out_ += "require ";
    list(names);
    out_ += ";\n";
  }

  void commands(const std::vector<Command>& commands) {
    for (const auto& command : commands) this->command(command);
  }

 private:
  void string(const String& s) { out_ += quote(s.text, encoded_); }

  void list(const StringList& strings) {
    out_ += '[';
    for (std::size_t i = 0; i < strings.size(); ++i) {
      if (i != 0) out_ += ", ";
      string(strings[i]);
    }
    out_ += ']';
  }

  void tag(std::string_view name) {
    out_ += " :";
    out_ += name;
  }
  void tag(std::string_view name, const String& value) {
    tag(name);
    out_ += ' ';
    string(value);
  }
  void tag(std::string_view name, const StringList& value) {
    tag(name);
    out_ += ' ';
    list(value);
  }
  void tag(std::string_view name, std::uint64_t value) {
    tag(name);
    out_ += ' ' + std::to_string(value);
  }
  void positional(const String& value) {
    out_ += ' ';
    string(value);
  }
  void positional(const StringList& value) {
    out_ += ' ';
    list(value);
  }

  void match(const Match& match) {
    if (match.comparator != Comparator::ascii_casemap) {
      tag("comparator", String{std::string(name_of(kComparators, match.comparator)), false});
    }
    if (match.type == MatchType::is) return;
    tag(name_of(kMatchTypes, match.type));
    if (match.type == MatchType::count || match.type == MatchType::value)
      positional(String{std::string(name_of(kRelations, match.relation)), false});
  }

  void test_tags(const Test& test) {
    match(test.match);
    if (test.address_part != AddressPart::all) tag(name_of(kAddressParts, test.address_part));
    if (test.index.index != 0) tag("index", std::uint64_t{test.index.index});
    if (test.index.last) tag("last");
    if (test.zone_kind == ZoneKind::zone) tag("zone", test.zone);
    if (test.zone_kind == ZoneKind::original) tag("originalzone");
    if (test.transform == BodyTransform::raw) tag("raw");
    if (test.transform == BodyTransform::content) tag("content", test.content_types);
    if (test.handle) tag("handle", *test.handle);
    if (test.header) tag("header", *test.header);
    if (test.uniqueid) tag("uniqueid", *test.uniqueid);
    if (test.seconds) tag("seconds", *test.seconds);
    if (test.last) tag("last");
  }

  void test_positionals(const Test& test) {
    switch (test.kind) {
      case TestKind::size: out_ += (test.size_over ? " :over " : " :under ") + std::to_string(test.size_limit); return;
      case TestKind::exists:
      case TestKind::mailboxexists:
      case TestKind::ihave: positional(test.names); return;
      case TestKind::date: positional(test.names.front()); [[fallthrough]];
      case TestKind::currentdate:
        positional(test.date_part);
        positional(test.keys);
        return;
      case TestKind::environment:
        positional(test.names.front());
        positional(test.keys);
        return;
      case TestKind::body: positional(test.keys); return;
      case TestKind::hasflag:
        if (!test.names.empty()) positional(test.names);
        positional(test.keys);
        return;
      case TestKind::address:
      case TestKind::header:
      case TestKind::envelope:
      case TestKind::string:
        positional(test.names);
        positional(test.keys);
        return;
      default: return;
    }
  }

  void test(const Test& test) {
    out_ += name_of(kTests, test.kind);
    test_tags(test);
    test_positionals(test);
    if (test.kind == TestKind::not_) {
      out_ += ' ';
      this->test(test.children.front());
    } else if (test.kind == TestKind::allof || test.kind == TestKind::anyof) {
      out_ += " (";
      for (std::size_t i = 0; i < test.children.size(); ++i) {
        if (i != 0) out_ += ", ";
        this->test(test.children[i]);
      }
      out_ += ')';
    }
  }

  void indent() { out_.append(2 * depth_, ' '); }

  void block(const Branch& branch) {
    out_ += " {\n";
    const bool saved = encoded_;
    if (branch.condition) encoded_ = encoded_ || names_encoded_character(*branch.condition);
    ++depth_;
    commands(branch.block);
    --depth_;
    encoded_ = saved;
    indent();
    out_ += "}\n";
  }

  static bool names_encoded_character(const Test& test) {
    bool found = false;
    auto look = [&](const Test& t) {
      if (t.kind != TestKind::ihave) return;
      for (const auto& name : t.names) found = found || name.text == "encoded-character";
    };
    look(test);
    if (test.kind == TestKind::allof) {
      for (const auto& child : test.children) look(child);
    }
    return found;
  }

  void conditional(const Command& command) {
    for (std::size_t i = 0; i < command.branches.size(); ++i) {
      const Branch& branch = command.branches[i];
      if (i != 0) indent();
      out_ += !branch.condition ? "else" : i == 0 ? "if " : "elsif ";
      if (branch.condition) test(*branch.condition);
      block(branch);
    }
  }

  void command_tags(const Command& command) {
    for (const auto modifier : command.modifiers) tag(name_of(kModifiers, modifier));
    if (command.kind == CommandKind::include) {
      if (command.location == IncludeLocation::global) tag("global");
      if (command.once) tag("once");
      if (command.optional) tag("optional");
    }
    if (command.copy) tag("copy");
    if (command.flags) tag("flags", *command.flags);
    if (command.create) tag("create");
    if (command.kind != CommandKind::vacation) return;
    const Vacation& v = command.vacation;
    if (v.days) tag("days", *v.days);
    if (v.seconds) tag("seconds", *v.seconds);
    if (v.subject) tag("subject", *v.subject);
    if (v.from) tag("from", *v.from);
    if (!v.addresses.empty()) tag("addresses", v.addresses);
    if (v.mime) tag("mime");
    if (v.handle) tag("handle", *v.handle);
  }

  void command_positionals(const Command& command) {
    switch (command.kind) {
      case CommandKind::vacation: positional(command.vacation.reason); return;
      case CommandKind::set: positional(*command.variable); [[fallthrough]];
      case CommandKind::redirect:
      case CommandKind::fileinto:
      case CommandKind::reject:
      case CommandKind::ereject:
      case CommandKind::include:
      case CommandKind::error: positional(command.arguments.front()); return;
      case CommandKind::setflag:
      case CommandKind::addflag:
      case CommandKind::removeflag:
        if (command.variable) positional(*command.variable);
        [[fallthrough]];
      case CommandKind::global: positional(command.arguments); return;
      default: return;
    }
  }

  void command(const Command& command) {
    indent();
    if (command.kind == CommandKind::if_) return conditional(command);
    out_ += name_of(kCommands, command.kind);
    command_tags(command);
    command_positionals(command);
    out_ += ";\n";
  }

  std::string out_;
  unsigned depth_ = 0;
  bool encoded_;
};

}  // namespace

std::string print(const Script& script) {
  Printer printer(script);
  printer.require(script.required);
  printer.commands(script.commands);
  return printer.take();
}

}  // namespace letterbox::sieve
