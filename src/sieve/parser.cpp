// Recursive descent over RFC 5228 §8.2, bounded: blocks and nested tests share one depth counter
// (CompileLimits::max_nesting), so no input makes it recurse deeper than that. After a syntax error it
// skips to the end of the command (';', or past a block) and goes on, as a compiler does; an error of the
// lexer (an unterminated string or comment) ends the parse, since nothing after it can be trusted.
#include "letterbox/sieve/parser.hpp"

#include <string>

#include "lexer.hpp"

namespace letterbox::sieve {
namespace {

class Parser {
 public:
  Parser(std::string_view text, const CompileLimits& limits, std::vector<Diagnostic>& errors)
      : lexer_(text), limits_(limits), errors_(errors) {
    advance();
  }

  void script(ast::Tree& tree) {
    while (!stopped() && current_.kind != TokenKind::end) {
      if (current_.kind == TokenKind::right_brace) {
        fail(current_.where, "unexpected '}' (no block to close)");
        advance();
        continue;
      }
      command_or_recover(tree.commands);
    }
  }

 private:
  bool stopped() const { return fatal_ || errors_.size() >= limits_.max_errors; }

  void advance() {
    current_ = lexer_.next();
    if (current_.kind == TokenKind::error) {
      fail(current_.where, current_.text);
      fatal_ = true;
      current_.kind = TokenKind::end;
    }
  }

  bool fail(Position where, std::string message) {
    if (fatal_) return false;  // after a lexer error the rest is noise
    if (errors_.size() < limits_.max_errors) errors_.push_back({where, std::move(message)});
    return false;
  }

  bool expect(TokenKind kind, const char* what) {
    if (current_.kind == kind) {
      advance();
      return true;
    }
    return fail(current_.where, std::string("expected ") + what + ", found " + describe(current_));
  }

  bool enter(Position where) {
    if (++depth_ <= limits_.max_nesting) return true;
    fail(where, "nesting too deep (more than " + std::to_string(limits_.max_nesting) + " blocks and tests)");
    fatal_ = true;
    return false;
  }

  void command_or_recover(std::vector<ast::Command>& into) {
    ast::Command command;
    if (command_(command)) {
      into.push_back(std::move(command));
    } else {
      recover();
    }
  }

  // Skips what is left of a broken command: up to and including its ';' or its block.
  void recover() {
    unsigned braces = 0;
    while (!fatal_ && current_.kind != TokenKind::end) {
      const TokenKind kind = current_.kind;
      if (kind == TokenKind::right_brace && braces == 0) return;
      advance();
      if (kind == TokenKind::semicolon && braces == 0) return;
      if (kind == TokenKind::left_brace) ++braces;
      if (kind == TokenKind::right_brace && --braces == 0) return;
    }
  }

  bool command_(ast::Command& command) {
    if (current_.kind != TokenKind::identifier) {
      return fail(current_.where, "expected a command, found " + describe(current_));
    }
    command.name = current_.text;
    command.where = current_.where;
    advance();
    if (!arguments(command.arguments, command.tests, command.test_list)) return false;
    command.end = current_.where;
    if (current_.kind == TokenKind::semicolon) {
      advance();
      return true;
    }
    if (current_.kind != TokenKind::left_brace) {
      return fail(current_.where,
                  "missing ';' after command \"" + command.name + "\" (found " + describe(current_) + ")");
    }
    command.has_block = true;
    return block(command.block);
  }

  bool block(std::vector<ast::Command>& into) {
    const Position open = current_.where;
    if (!enter(open)) return false;
    advance();
    while (!stopped() && current_.kind != TokenKind::right_brace && current_.kind != TokenKind::end) {
      command_or_recover(into);
    }
    --depth_;
    if (current_.kind == TokenKind::right_brace) {
      advance();
      return true;
    }
    if (fatal_) return false;
    return fail(current_.where, "missing '}' to close the block opened at line " + std::to_string(open.line) +
                                    ", column " + std::to_string(open.column));
  }

  bool arguments(std::vector<ast::Argument>& into, std::vector<ast::Test>& tests, bool& test_list) {
    for (;;) {
      ast::Argument argument;
      argument.where = current_.where;
      if (current_.kind == TokenKind::number) {
        argument.number = current_.number;
        advance();
      } else if (current_.kind == TokenKind::tag) {
        argument.kind = ast::Argument::Kind::tag;
        argument.tag = current_.text;
        advance();
      } else if (current_.kind == TokenKind::string || current_.kind == TokenKind::left_bracket) {
        argument.kind = ast::Argument::Kind::string_list;
        if (!string_list(argument)) return false;
      } else {
        break;
      }
      into.push_back(std::move(argument));
    }
    if (current_.kind == TokenKind::identifier) {
      tests.emplace_back();
      return test(tests.back());
    }
    if (current_.kind != TokenKind::left_paren) return true;
    test_list = true;
    return list_of_tests(tests);
  }

  bool string_list(ast::Argument& argument) {
    if (current_.kind == TokenKind::string) {
      argument.strings.push_back({std::move(current_.text), current_.where});
      advance();
      return true;
    }
    argument.bracketed = true;
    advance();
    for (;;) {
      if (current_.kind != TokenKind::string) {
        return fail(current_.where, "expected a string in the list, found " + describe(current_));
      }
      if (argument.strings.size() >= limits_.max_string_list) {
        return fail(current_.where,
                    "string list too long (more than " + std::to_string(limits_.max_string_list) + " strings)");
      }
      argument.strings.push_back({std::move(current_.text), current_.where});
      advance();
      if (current_.kind == TokenKind::right_bracket) break;
      if (!expect(TokenKind::comma, "',' or ']' in the string list")) return false;
    }
    advance();
    return true;
  }

  bool test(ast::Test& test) {
    if (current_.kind != TokenKind::identifier) {
      return fail(current_.where, "expected a test, found " + describe(current_));
    }
    if (!enter(current_.where)) return false;
    test.name = current_.text;
    test.where = current_.where;
    advance();
    const bool ok = arguments(test.arguments, test.tests, test.test_list);
    test.end = current_.where;
    --depth_;
    return ok;
  }

  bool list_of_tests(std::vector<ast::Test>& tests) {
    advance();
    for (;;) {
      tests.emplace_back();
      if (!test(tests.back())) return false;
      if (current_.kind == TokenKind::right_paren) break;
      if (!expect(TokenKind::comma, "',' or ')' in the list of tests")) return false;
    }
    advance();
    return true;
  }

  Lexer lexer_;
  const CompileLimits& limits_;
  std::vector<Diagnostic>& errors_;
  Token current_;
  unsigned depth_ = 0;
  bool fatal_ = false;
};

}  // namespace

ParseResult parse(std::string_view text, const CompileLimits& limits) {
  ParseResult result;
  if (text.size() > limits.max_script_bytes) {
    result.errors.push_back({{1, 1},
                             "script too large (" + std::to_string(text.size()) + " bytes, at most " +
                                 std::to_string(limits.max_script_bytes) + ")"});
    return result;
  }
  Parser parser(text, limits, result.errors);
  parser.script(result.tree);
  return result;
}

}  // namespace letterbox::sieve
