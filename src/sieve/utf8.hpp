// Whether bytes are well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF): mailbox names are UTF-8 in Sieve (RFC 5228 §4.1) and become modified UTF-7 on disk.
#pragma once

#include <string_view>

namespace letterbox::sieve {

bool is_valid_utf8(std::string_view text);

}  // namespace letterbox::sieve
