// The tokens of RFC 5228 §8.1, one at a time, each with the line and column where it starts. Comments
// and white space are skipped; strings come out with escapes and dot-stuffing undone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "letterbox/sieve/diagnostic.hpp"

namespace letterbox::sieve {

enum class TokenKind {
  identifier,
  tag,
  number,
  string,
  semicolon,
  comma,
  left_paren,
  right_paren,
  left_bracket,
  right_bracket,
  left_brace,
  right_brace,
  end,
  error,
};

struct Token {
  TokenKind kind = TokenKind::end;
  Position where;
  std::string text;  // identifier, tag (without ':'), string value, or the error message
  std::uint64_t number = 0;
};

// How a token reads in an error message: `';'`, `identifier "foo"`, `the end of the script`.
std::string describe(const Token& token);

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}
  Token next();

 private:
  char peek(std::size_t ahead = 0) const { return at_ + ahead < text_.size() ? text_[at_ + ahead] : '\0'; }
  bool at_end() const { return at_ >= text_.size(); }
  void advance();
  Position here() const { return {line_, static_cast<unsigned>(at_ - line_start_ + 1)}; }
  bool skip_space_and_comments(Token& failure);
  bool skip_bracket_comment(Token& failure);
  bool skip_line(Token& failure);
  const char* forbidden_here() const;
  static std::optional<std::pair<unsigned, const char*>> forbidden_in(std::string_view line);
  Token identifier();
  Token number();
  Token quoted_string();
  Token multiline_string(Position start);
  bool read_line(std::string_view& line);
  static Token error(Position where, std::string message);

  std::string_view text_;
  std::size_t at_ = 0;
  std::size_t line_start_ = 0;
  unsigned line_ = 1;
};

}  // namespace letterbox::sieve
