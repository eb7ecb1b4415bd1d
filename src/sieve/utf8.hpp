// Whether bytes are well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF): mailbox names are UTF-8 in Sieve (RFC 5228 §4.1) and become modified UTF-7 on disk.
#pragma once

#include <cstddef>
#include <string_view>

namespace letterbox::sieve {

bool is_valid_utf8(std::string_view text);

// The length of the well-formed UTF-8 character at `at` (1 for ASCII), or 0 if the bytes there are not one.
std::size_t utf8_character_length(std::string_view text, std::size_t at);

}  // namespace letterbox::sieve
