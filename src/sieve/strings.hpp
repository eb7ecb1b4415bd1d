// What the compiler does to and asks of a string argument: encoded characters (RFC 5228 §2.4.2.4),
// variable references (RFC 5229 §3), identifiers, and a spelling check for "did you mean".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

// Replaces each well-formed ${hex:…} and ${unicode:…} by what it encodes, in one pass (a decoded "${" is
// not decoded again). Returns the error for a code point outside Unicode or a surrogate.
std::optional<std::string> decode_encoded_characters(std::string& text);

// The text as a Sieve quoted string. With encoded characters on, each "${" is written "${hex:24}{" so
// that reading it back does not decode what was already decoded; a NUL or lone CR (which only a decoded
// encoded character can hold) is written encoded again.
std::string quote(std::string_view text, bool encoded_characters);

// The text as a Sieve quoted string on one line, for people and for comparing outputs: '"' and '\' escaped,
// every control character (C0, DEL, C1) and every byte that is not part of well-formed UTF-8 written as
// ${hex:XX}, one per byte; nothing else changed.
std::string quote_printable(std::string_view text);
// The same without the quotes and escapes: free text (an error message) kept on one line.
std::string printable_line(std::string_view text);

// Whether the text holds a ${name}, ${namespace.name} or ${digits} reference.
bool has_variable_reference(std::string_view text);

// RFC 5228 §8.1: identifier = (ALPHA / "_") *(ALPHA / DIGIT / "_"), the names of commands, tags and
// variables.
constexpr bool is_identifier_start(char c) {
  return is_ascii_letter(c) || c == '_';
}
constexpr bool is_identifier_char(char c) {
  return is_identifier_start(c) || is_ascii_digit(c);
}

// The Damerau-free edit distance, for names of at most a few dozen bytes (longer ones never match).
unsigned edit_distance(std::string_view a, std::string_view b);

}  // namespace letterbox::sieve
