// Text helpers that know nothing about mail: ASCII classes and case folding (the protocols and the directory compare
// names without regard to case, and never by the locale's rules), splitting into words, and reading a
// decimal number that must be the whole of its text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace letterbox {

// Only A-Z and a-z change; every other byte, UTF-8 included, is kept as it is.
char ascii_lower(char c);
char ascii_upper(char c);
std::string ascii_lower(std::string_view text);
std::string ascii_upper(std::string_view text);
bool iequals_ascii(std::string_view a, std::string_view b);

// The ABNF core rules (RFC 5234 B.1) that grammars of mail name: DIGIT, ALPHA and WSP.
constexpr bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}
// The value of a hexadecimal digit of either case, -1 for any other byte.
constexpr int hex_value(char c) {
  if (is_ascii_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `text` without the spaces, tabs and line ends around it.
std::string_view trim_space(std::string_view text);

// The words of `text` between runs of any of the `separators`; no empty words.
std::vector<std::string> split_words(std::string_view text, std::string_view separators);

// The words with `separator` between them: what split_words() takes apart.
std::string join_words(const std::vector<std::string>& words, std::string_view separator = " ");

// A decimal number written with digits only (no sign, no space) that fits in 64 bits; nullopt otherwise.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

}  // namespace letterbox
