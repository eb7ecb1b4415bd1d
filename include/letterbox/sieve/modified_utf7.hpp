// IMAP's modified UTF-7 (RFC 3501 §5.1.3), the form Maildir++ folder names take on disk so that IMAP
// servers (Dovecot, Courier) show them as the user wrote them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace letterbox::sieve {

// Printable ASCII but '&' stands for itself, '&' is "&-", every other run of characters is "&" + the
// modified base64 (',' for '/', no padding) of its UTF-16 + "-". nullopt if `utf8` is not valid UTF-8
// (overlong forms and surrogates included).
std::optional<std::string> encode_modified_utf7(std::string_view utf8);

}  // namespace letterbox::sieve
