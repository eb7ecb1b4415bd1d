// RFC 2047 encoded words ("=?charset?B?...?=", "=?charset?Q?...?=") in a header value, decoded to UTF-8:
// Sieve's header test compares decoded values (RFC 5228 §2.7.2); and UTF-8 text encoded into them for the
// header fields of a vacation reply (RFC 5230 §5.4: a subject that is not ASCII is encoded).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace letterbox::sieve {

// White space between two encoded words is dropped (RFC 2047 §6.2), and adjacent words in one charset are
// joined before conversion, so that a character split across them survives. A word whose charset is
// unknown, or which is malformed, is left as it is. Words are decoded wherever they stand, not only
// between white space, as Dovecot does for mailers that glue them to punctuation.
std::string decode_encoded_words(std::string_view value);

// `text` (UTF-8) as encoded words "=?utf-8?q?...?=" (the Q encoding, readable where the text is mostly
// ASCII), to be written separated by folding white space, which a decoder drops (RFC 2047 §6.2): each word
// at most 75 characters and the first at most `first_word_max` (the room left after "Name: " on a line of
// 76, §2), never less than one character's worth; none for "". No word splits a UTF-8 character (§5). Only letters,
// digits and "!*+-/" stand for themselves, so the words are also valid in a phrase (§5 (3)); a space is "_".
std::vector<std::string> encode_words(std::string_view text, std::size_t first_word_max = 75);

}  // namespace letterbox::sieve
