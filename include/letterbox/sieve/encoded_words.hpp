// RFC 2047 encoded words ("=?charset?B?...?=", "=?charset?Q?...?=") in a header value, decoded to UTF-8:
// Sieve's header test compares decoded values (RFC 5228 §2.7.2).
#pragma once

#include <string>
#include <string_view>

namespace letterbox::sieve {

// White space between two encoded words is dropped (RFC 2047 §6.2), and adjacent words in one charset are
// joined before conversion, so that a character split across them survives. A word whose charset is
// unknown, or which is malformed, is left as it is. Words are decoded wherever they stand, not only
// between white space, as Dovecot does for mailers that glue them to punctuation.
std::string decode_encoded_words(std::string_view value);

}  // namespace letterbox::sieve
