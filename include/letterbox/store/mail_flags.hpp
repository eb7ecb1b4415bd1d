// IMAP flags (imap4flags, already normalised: sieve/imap_flags.hpp) as each mailbox format stores them
// on a new copy, the way Dovecot reads them back:
//  - Maildir: the info after the file name, ":2," and the flag letters in ASCII order (\Draft D,
//    \Flagged F, \Answered R, \Seen S, \Deleted T; keyword number N is the letter 'a' + N). Keywords are
//    numbered by the folder's `dovecot-keywords` file ("N name" per line), which a new keyword is added
//    to under Dovecot's own dotlock (dovecot-keywords.lock, written then renamed over the file). Only 26
//    letters exist: further keywords are dropped and logged.
//  - mbox: "Status: RO" for \Seen, "X-Status:" with A (\Answered), F (\Flagged), T (\Draft), D
//    (\Deleted), and "X-Keywords:" with the keywords, space-separated.
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "letterbox/config/config.hpp"

namespace letterbox {

// ":2,<letters>" for a copy in `folder` (a Maildir or Maildir++ folder), "" when there are no flags.
// Adds missing keywords to the folder's dovecot-keywords; 0 or an errno (the copy then must not be made:
// its keywords would have no names).
int maildir_info(const std::filesystem::path& folder, std::span<const std::string> flags, Duration lock_timeout,
                 std::string& info);

// The header lines ("Status: RO\nX-Status: F\n...") for an mbox copy; "" when there are no flags.
std::string mbox_flag_headers(std::span<const std::string> flags);

}  // namespace letterbox
