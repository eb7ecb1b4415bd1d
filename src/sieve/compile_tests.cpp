// The dispatcher for tests and the tests of RFC 5228 §5. The argument checks of each test follow its
// RFC's syntax line, quoted above its function; the tests of extensions are in compile_extension_tests.
#include "compile_tests.hpp"

#include <algorithm>
#include <array>

#include "compile_extension_tests.hpp"
#include "compile_match.hpp"
#include "compile_plugin.hpp"
#include "letterbox/util/text.hpp"
#include "strings.hpp"

namespace letterbox::sieve {
namespace {

// RFC 5228 §5.1: the address test only reads headers that hold addresses. The list is the one Pigeonhole
// accepts (probed with sievec name by name), so that a script moved from Dovecot compiles alike.
bool check_address_headers(Context& context, Position where, const StringList& names) {
  static constexpr std::array<std::string_view, 20> kAddressHeaders = {"from",
                                                                       "to",
                                                                       "cc",
                                                                       "bcc",
                                                                       "sender",
                                                                       "resent-from",
                                                                       "resent-to",
                                                                       "resent-cc",
                                                                       "resent-bcc",
                                                                       "resent-sender",
                                                                       "resent-reply-to",
                                                                       "reply-to",
                                                                       "delivered-to",
                                                                       "x-original-to",
                                                                       "errors-to",
                                                                       "mail-followup-to",
                                                                       "mail-reply-to",
                                                                       "apparently-to",
                                                                       "x-beenthere",
                                                                       "return-receipt-to"};
  for (const auto& name : names) {
    if (name.has_variables) continue;
    const std::string lower = ascii_lower(name.text);
    if (std::find(kAddressHeaders.begin(), kAddressHeaders.end(), lower) == kAddressHeaders.end()) {
      return context.error(where, "header \"" + name.text + "\" holds no addresses (test \"address\")");
    }
  }
  return true;
}

// address [COMPARATOR] [ADDRESS-PART] [MATCH-TYPE] [:index N [:last]] <header-list> <key-list>
// header [COMPARATOR] [MATCH-TYPE] [:index N [:last]] <header-names> <key-list>
bool header_or_address(Arguments& arguments, Test& test, bool address) {
  for_each_tag(arguments, [&](const ast::Argument& tag) {
    return match_tag(arguments, tag, test.match) || index_tag(arguments, tag, test.index) ||
           (address && address_part_tag(arguments, tag, test.address_part));
  });
  Context& context = arguments.context();
  const auto where = arguments.node_where();
  return arguments.string_list("the header names", test.names) && arguments.string_list("the keys", test.keys) &&
         arguments.finish() && (!address || check_address_headers(context, where, test.names)) &&
         finish_index(context, where, test.index) && finish_match(context, where, test.match, test.keys);
}

bool address(Arguments& arguments, Test& test) {
  return header_or_address(arguments, test, true);
}
bool header(Arguments& arguments, Test& test) {
  return header_or_address(arguments, test, false);
}

// exists <header-names>. Malformed header names are not an error: they never match (Pigeonhole only warns,
// and scripts moved from Dovecot must keep compiling).
bool exists(Arguments& arguments, Test& test) {
  for_each_tag(arguments, [](const ast::Argument&) { return false; });
  return arguments.string_list("the header names", test.names) && arguments.finish();
}

// size <":over" / ":under"> <limit: number>
bool size(Arguments& arguments, Test& test) {
  bool given = false;
  for_each_tag(arguments, [&](const ast::Argument& tag) {
    const std::string name = arguments.tag_name(tag);
    if (name != "over" && name != "under") return false;
    given = arguments.claim(tag, "comparison") || given;
    if (name == "over") test.size_over = true;
    return true;
  });
  if (!given) return arguments.context().error(arguments.node_where(), "test \"size\" needs \":over\" or \":under\"");
  return arguments.number("the size limit", test.size_limit) && arguments.finish();
}

bool no_arguments(Arguments& arguments, Test&) {
  for_each_tag(arguments, [](const ast::Argument&) { return false; });
  return arguments.finish();
}

struct TestSpec {
  std::string_view name;
  TestKind kind;
  std::optional<Extension> extension;
  bool (*compile)(Arguments&, Test&);
  unsigned children;  // 0: none; 1: exactly one test; 2: a list of tests
};

constexpr std::array<TestSpec, 19> kTests = {{
    {"address", TestKind::address, std::nullopt, address, 0},
    {"allof", TestKind::allof, std::nullopt, no_arguments, 2},
    {"anyof", TestKind::anyof, std::nullopt, no_arguments, 2},
    {"exists", TestKind::exists, std::nullopt, exists, 0},
    {"false", TestKind::false_, std::nullopt, no_arguments, 0},
    {"true", TestKind::true_, std::nullopt, no_arguments, 0},
    {"header", TestKind::header, std::nullopt, header, 0},
    {"not", TestKind::not_, std::nullopt, no_arguments, 1},
    {"size", TestKind::size, std::nullopt, size, 0},
    {"envelope", TestKind::envelope, Extension::envelope, compile_envelope, 0},
    {"body", TestKind::body, Extension::body, compile_body, 0},
    {"date", TestKind::date, Extension::date, compile_date, 0},
    {"currentdate", TestKind::currentdate, Extension::date, compile_currentdate, 0},
    {"string", TestKind::string, Extension::variables, compile_string, 0},
    {"hasflag", TestKind::hasflag, Extension::imap4flags, compile_hasflag, 0},
    {"mailboxexists", TestKind::mailboxexists, Extension::mailbox, compile_mailboxexists, 0},
    {"duplicate", TestKind::duplicate, Extension::duplicate, compile_duplicate, 0},
    {"ihave", TestKind::ihave, Extension::ihave, compile_ihave, 0},
    {"environment", TestKind::environment, Extension::environment, compile_environment, 0},
}};

const TestSpec* find_test(std::string_view name) {
  for (const auto& spec : kTests) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool check_children(Context& context, const ast::Test& node, const TestSpec& spec) {
  if (spec.children == 0 && !node.tests.empty()) {
    if (node.test_list) return context.error(node.tests.front().where, "test \"" + node.name + "\" takes no tests");
    return context.error(node.tests.front().where, "unexpected test \"" + node.tests.front().name + "\" after test \"" +
                                                       node.name + "\" (missing ','?)");
  }
  if (spec.children == 1 && (node.tests.size() != 1 || node.test_list)) {
    return context.error(node.end, "test \"not\" needs exactly one test (not a list in parentheses)");
  }
  if (spec.children == 2 && !node.test_list) {
    return context.error(node.end, "test \"" + node.name + "\" needs a list of tests in parentheses");
  }
  return true;
}

}  // namespace

bool compile_test(Context& context, const ast::Test& node, Test& out) {
  out.where = node.where;
  const std::string name = ascii_lower(node.name);
  const TestSpec* spec = find_test(name);
  if (spec == nullptr && context.plugin_required) {
    if (auto compiled = context.plugin->compile_test(context, node, out)) return *compiled;
  }
  if (spec == nullptr || (spec->extension && !context.enabled.has(*spec->extension))) {
    return context.error(node.where, "unknown test \"" + node.name + "\"" + unknown_name_hint(context, name, false));
  }
  out.kind = spec->kind;
  Arguments arguments(context, NodeName{"test", name}, node.arguments, node.where, node.end);
  bool ok = spec->compile(arguments, out);
  ok = check_children(context, node, *spec) && ok;
  for (const auto& child : node.tests) {
    out.children.emplace_back();
    ok = compile_test(context, child, out.children.back()) && ok;
  }
  return ok;
}

}  // namespace letterbox::sieve
