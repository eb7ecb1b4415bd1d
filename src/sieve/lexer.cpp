#include "lexer.hpp"

#include <cstdio>
#include <limits>
#include <optional>
#include <utility>

#include "strings.hpp"

namespace letterbox::sieve {
namespace {

std::string describe_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte > 32 && byte < 127) return std::string("'") + c + "'";
  char buffer[8];
  (void)std::snprintf(buffer, sizeof buffer, "0x%02X", byte);  // four characters always fit
  return std::string("byte ") + buffer;
}

}  // namespace

// RFC 5228 §8.1 allows any octet but NUL in strings and comments, and CR only before LF.
const char* Lexer::forbidden_here() const {
  if (peek() == '\0' && !at_end()) return "NUL byte (not allowed in a Sieve script)";
  if (peek() == '\r' && peek(1) != '\n') return "carriage return without a line feed";
  return nullptr;
}

std::string describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::identifier: return "identifier \"" + token.text + "\"";
    case TokenKind::tag: return "tag \":" + token.text + "\"";
    case TokenKind::number: return "a number";
    case TokenKind::string: return "a string";
    case TokenKind::semicolon: return "';'";
    case TokenKind::comma: return "','";
    case TokenKind::left_paren: return "'('";
    case TokenKind::right_paren: return "')'";
    case TokenKind::left_bracket: return "'['";
    case TokenKind::right_bracket: return "']'";
    case TokenKind::left_brace: return "'{'";
    case TokenKind::right_brace: return "'}'";
    case TokenKind::end: return "the end of the script";
    case TokenKind::error: return "an error";
  }
  return "?";
}

Token Lexer::error(Position where, std::string message) {
  Token token;
  token.kind = TokenKind::error;
  token.where = where;
  token.text = std::move(message);
  return token;
}

void Lexer::advance() {
  if (text_[at_] == '\n') {
    ++line_;
    line_start_ = at_ + 1;
  }
  ++at_;
}

bool Lexer::skip_line(Token& failure) {
  while (!at_end() && peek() != '\n') {
    if (peek() == '\0') {
      failure = error(here(), forbidden_here());
      return false;
    }
    advance();
  }
  return true;
}

bool Lexer::skip_bracket_comment(Token& failure) {
  const Position start = here();
  advance();
  advance();
  while (!at_end()) {
    if (peek() == '*' && peek(1) == '/') {
      advance();
      advance();
      return true;
    }
    if (peek() == '\0') {
      failure = error(here(), forbidden_here());
      return false;
    }
    advance();
  }
  failure = error(start, "unterminated comment (missing '*/')");
  return false;
}

bool Lexer::skip_space_and_comments(Token& failure) {
  while (!at_end()) {
    const char c = peek();
    // A lone CR between tokens is taken as white space, as Pigeonhole does: RFC 5228 wants CRLF, but
    // refusing a script for a stray CR there helps nobody. In strings it stays an error (both agree).
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      advance();
    } else if (c == '#') {
      if (!skip_line(failure)) return false;
    } else if (c == '/' && peek(1) == '*') {
      if (!skip_bracket_comment(failure)) return false;
    } else {
      break;
    }
  }
  return true;
}

Token Lexer::next() {
  Token failure;
  if (!skip_space_and_comments(failure)) return failure;
  Token token;
  token.where = here();
  if (at_end()) return token;
  const char c = peek();
  if (const char* problem = forbidden_here()) return error(token.where, problem);
  if (is_identifier_start(c)) return identifier();
  if (is_ascii_digit(c)) return number();
  if (c == '"') return quoted_string();
  if (c == ':') {
    advance();
    if (!is_identifier_start(peek())) return error(token.where, "expected a tag name after ':'");
    token = identifier();
    token.kind = TokenKind::tag;
    token.where.column -= 1;
    return token;
  }
  static constexpr std::string_view kPunctuation = ";,()[]{}";
  const auto found = kPunctuation.find(c);
  if (found == std::string_view::npos) return error(token.where, "unexpected " + describe_byte(c));
  static constexpr TokenKind kKinds[] = {TokenKind::semicolon,   TokenKind::comma,        TokenKind::left_paren,
                                         TokenKind::right_paren, TokenKind::left_bracket, TokenKind::right_bracket,
                                         TokenKind::left_brace,  TokenKind::right_brace};
  token.kind = kKinds[found];
  advance();
  return token;
}

Token Lexer::identifier() {
  Token token;
  token.kind = TokenKind::identifier;
  token.where = here();
  const std::size_t start = at_;
  while (!at_end() && is_identifier_char(peek())) advance();
  token.text = std::string(text_.substr(start, at_ - start));
  if (token.text == "text" && peek() == ':') {
    advance();
    return multiline_string(token.where);
  }
  return token;
}

Token Lexer::number() {
  Token token;
  token.kind = TokenKind::number;
  token.where = here();
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  bool overflow = false;
  while (is_ascii_digit(peek())) {
    const auto digit = static_cast<std::uint64_t>(peek() - '0');
    if (token.number > (kMax - digit) / 10) overflow = true;
    token.number = token.number * 10 + digit;
    advance();
  }
  std::uint64_t scale = 1;
  switch (peek()) {
    case 'K':
    case 'k': scale = 1ULL << 10; break;
    case 'M':
    case 'm': scale = 1ULL << 20; break;
    case 'G':
    case 'g': scale = 1ULL << 30; break;
    default: break;
  }
  if (scale != 1) {
    advance();
    if (token.number > kMax / scale) overflow = true;
    token.number *= scale;
  }
  if (overflow) return error(token.where, "number too large (at most 18446744073709551615)");
  return token;
}

Token Lexer::quoted_string() {
  Token token;
  token.kind = TokenKind::string;
  token.where = here();
  advance();
  while (!at_end()) {
    if (const char* problem = forbidden_here()) return error(here(), problem);
    const char c = peek();
    advance();
    if (c == '"') return token;
    // RFC 5228 §2.4.2: "\\" and "\"" are the escapes; before any other character the backslash is dropped.
    if (c == '\\') {
      if (at_end()) break;
      if (const char* problem = forbidden_here()) return error(here(), problem);
      token.text += peek();
      advance();
    } else {
      // RFC 5228 §2.4.2: CR and LF appear in a string only as CRLF, whatever line ends the file uses.
      if (c == '\n' && (token.text.empty() || token.text.back() != '\r')) token.text += '\r';
      token.text += c;
    }
  }
  return error(token.where, "unterminated string (missing closing '\"')");
}

// The first forbidden byte of a line of a multi-line string: its column and what is wrong.
std::optional<std::pair<unsigned, const char*>> Lexer::forbidden_in(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\0') return std::pair{static_cast<unsigned>(i + 1), "NUL byte (not allowed in a Sieve script)"};
    if (line[i] == '\r' && i + 1 != line.size()) {
      return std::pair{static_cast<unsigned>(i + 1), "carriage return without a line feed"};
    }
  }
  return std::nullopt;
}

// One line, without its LF (a CR before it stays); false at the end of the text.
bool Lexer::read_line(std::string_view& line) {
  if (at_end()) return false;
  const std::size_t start = at_;
  const std::size_t newline = text_.find('\n', start);
  const std::size_t stop = newline == std::string_view::npos ? text_.size() : newline;
  line = text_.substr(start, stop - start);
  at_ = stop;
  if (newline != std::string_view::npos) advance();
  return true;
}

Token Lexer::multiline_string(Position start) {
  while (peek() == ' ' || peek() == '\t') advance();
  Token failure;
  if (peek() == '#') {
    if (!skip_line(failure)) return failure;
  } else if (peek() == '\r' && peek(1) == '\n') {
    advance();
  } else if (peek() != '\n') {
    return error(here(), "expected the end of the line after \"text:\"");
  }
  if (!at_end()) advance();
  Token token;
  token.kind = TokenKind::string;
  token.where = start;
  std::string_view line;
  for (Position line_start = here(); read_line(line); line_start = here()) {
    if (auto problem = forbidden_in(line)) return error({line_start.line, problem->first}, problem->second);
    const bool had_newline = text_[at_ - 1] == '\n';
    if (line == "." || line == ".\r") return token;
    // RFC 5228 §2.4.2's grammar: ".." stands for "."; a line with one leading "." before other text
    // (multiline-dotstart) is taken as written, as Pigeonhole takes it.
    if (line.starts_with("..")) line.remove_prefix(1);
    // RFC 5228 §2.4.2: the line breaks of the string are CRLF, whatever line ends the file uses.
    if (had_newline && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    token.text += line;
    if (had_newline) token.text += "\r\n";
  }
  return error(start, "unterminated multi-line string (missing a line with a single '.')");
}

}  // namespace letterbox::sieve
