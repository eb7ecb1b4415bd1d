// Text in a MIME charset turned into UTF-8 (RFC 5228 §2.7.2: comparisons are on UTF-8), through glibc's
// iconv. Charset names are matched without regard to case, and an RFC 2231 language suffix
// ("utf-8*en") is ignored.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace letterbox::sieve {

// nullopt when the charset is unknown. Octets that are invalid in the charset become U+FFFD each, as
// Dovecot does, so that the rest of the text can still be matched. UTF-8 and US-ASCII are taken as they
// are (an invalid octet included: they are already the comparators' input form).
std::optional<std::string> convert_to_utf8(std::string_view text, std::string_view charset);

}  // namespace letterbox::sieve
