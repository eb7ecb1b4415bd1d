// The parse tree back to Sieve text, as written but for spacing, comments and number quantifiers: the
// parser's own round trip (parse, print, parse gives the same tree).
#include "letterbox/sieve/printer.hpp"
#include "strings.hpp"

namespace letterbox::sieve {
namespace {

void print_argument(std::string& out, const ast::Argument& argument) {
  switch (argument.kind) {
    case ast::Argument::Kind::number: out += std::to_string(argument.number); return;
    case ast::Argument::Kind::tag: out += ":" + argument.tag; return;
    case ast::Argument::Kind::string_list: break;
  }
  if (argument.bracketed) out += '[';
  for (std::size_t i = 0; i < argument.strings.size(); ++i) {
    if (i != 0) out += ", ";
    out += quote(argument.strings[i].text, false);
  }
  if (argument.bracketed) out += ']';
}

void print_test(std::string& out, const ast::Test& test);

void print_arguments(std::string& out, const std::vector<ast::Argument>& arguments, const std::vector<ast::Test>& tests,
                     bool test_list) {
  for (const auto& argument : arguments) {
    out += ' ';
    print_argument(out, argument);
  }
  if (tests.empty()) return;
  out += test_list ? " (" : " ";
  for (std::size_t i = 0; i < tests.size(); ++i) {
    if (i != 0) out += ", ";
    print_test(out, tests[i]);
  }
  if (test_list) out += ')';
}

void print_test(std::string& out, const ast::Test& test) {
  out += test.name;
  print_arguments(out, test.arguments, test.tests, test.test_list);
}

void print_commands(std::string& out, const std::vector<ast::Command>& commands, unsigned depth) {
  for (const auto& command : commands) {
    out.append(2 * depth, ' ');
    out += command.name;
    print_arguments(out, command.arguments, command.tests, command.test_list);
    if (!command.has_block) {
      out += ";\n";
      continue;
    }
    out += " {\n";
    print_commands(out, command.block, depth + 1);
    out.append(2 * depth, ' ');
    out += "}\n";
  }
}

}  // namespace

std::string print(const ast::Tree& tree) {
  std::string out;
  print_commands(out, tree.commands, 0);
  return out;
}

}  // namespace letterbox::sieve
