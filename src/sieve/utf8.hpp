// UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing above U+10FFFF): mailbox names
// are UTF-8 in Sieve (RFC 5228 §4.1) and become modified UTF-7 on disk, and encoded characters
// (RFC 5228 §2.4.2.4) name code points to be written as UTF-8.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace letterbox::sieve {

bool is_valid_utf8(std::string_view text);

// The code point that starts at `at`, advancing `at` past it; nullopt, `at` unchanged, for anything but a
// well-formed, shortest-form scalar value.
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& at);

// Appends a scalar value (not a surrogate, at most U+10FFFF) as UTF-8.
void append_utf8(std::string& out, char32_t code);

// The length of the well-formed UTF-8 character at `at` (1 for ASCII), or 0 if the bytes there are not one.
std::size_t utf8_character_length(std::string_view text, std::size_t at);

}  // namespace letterbox::sieve
