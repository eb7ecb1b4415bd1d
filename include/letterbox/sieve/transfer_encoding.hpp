// The two content transfer encodings of MIME (RFC 2045 §6.7, §6.8) and the B and Q forms of RFC 2047 encoded
// words, decoded leniently as mail readers do: what cannot be decoded is skipped or kept, never an error,
// since a test on a damaged message should still see the rest of it.
#pragma once

#include <string>
#include <string_view>

namespace letterbox::sieve {

// Base64: characters outside the alphabet (line breaks, spaces, junk) are skipped; decoding stops at '='.
std::string decode_base64(std::string_view text);

// Quoted-printable: "=XX" is the octet, a '=' at the end of a line is a soft line break, trailing white
// space on a line is dropped (RFC 2045 §6.7 rule 3), a '=' not followed by two hex digits stays as it is.
std::string decode_quoted_printable(std::string_view text);

// The Q encoding of RFC 2047 §4.2: as quoted-printable, and '_' is a space.
std::string decode_q_encoding(std::string_view text);

}  // namespace letterbox::sieve
