// A fileinto folder name (UTF-8, as the script gives it) turned into where the copy goes: a Maildir++
// folder directory (".Lists.dev", modified UTF-7 inside) or a path under the user's mbox_folders.
//
// Hierarchy: both '/' and '.' separate levels, so "Lists/dev" and "Lists.dev" are one folder, ".Lists.dev".
// Dovecot accepts exactly one of the two, depending on its namespace separator: with its Maildir++ default
// '.', "Lists.dev" is Lists → dev (".Lists.dev") and "Lists/dev" is refused ("Invalid mailbox name: Name
// must not have '/' characters", seen with Pigeonhole's sieve-test); with "separator = /", "Lists/dev" is
// Lists → dev and "Lists.dev" is refused ("Character not allowed in mailbox name: '.'"). Scripts written
// for either set-up thus land where Dovecot put them, and a folder name can never hold a '.' of its own
// (Maildir++ has no room for one without an escape character, which Dovecot leaves unset by default).
// mbox folders use the same hierarchy, one directory per level, so a user's folders keep their shape
// when the store changes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace letterbox::sieve {

// The levels of `name`, each in modified UTF-7; an empty list for the inbox ("INBOX" in any case, as IMAP
// has it). nullopt with `why` for: an empty name or level (leading, trailing or doubled separators, which
// also rules out "." and ".."), invalid UTF-8, control characters, a level longer than 255 octets once
// encoded, or more than 16 levels.
std::optional<std::vector<std::string>> mailbox_levels(std::string_view name, std::string& why);

// The Maildir++ folder directory relative to the Maildir: "" for the inbox, otherwise "." + the levels
// joined by '.' ("Lists/dev" → ".Lists.dev", "Entwürfe" → ".Entw&APw-rfe").
std::optional<std::string> maildir_folder(std::string_view name, std::string& why);

// The mbox file relative to mbox_folders: the levels joined by '/' ("Lists/dev" → "Lists/dev"); "" for
// the inbox, which is not under mbox_folders.
std::optional<std::string> mbox_folder(std::string_view name, std::string& why);

}  // namespace letterbox::sieve
