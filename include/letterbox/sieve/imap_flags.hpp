// The flag lists of the imap4flags extension (RFC 5232 §2, §3): strings that each hold space-separated
// flag names, made into one set of valid IMAP flags (RFC 3501 §9: the five settable system flags and
// atoms as keywords). Case does not make two flags differ; the first spelling and order are kept.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace letterbox::sieve {

// "\Seen", "\Answered", "\Flagged", "\Deleted", "\Draft" in any case, or a keyword: an IMAP atom. Others
// (\Recent, non-ASCII, "(", "]"...) cannot be stored and are ignored (RFC 5232 §2).
bool is_settable_flag(std::string_view flag);

// Every word of every string, invalid and duplicate ones dropped.
std::vector<std::string> normalise_flags(std::span<const std::string> lists);
std::vector<std::string> normalise_flags(std::string_view list);

// The set as a variable holds it: the flags joined by single spaces.
std::string join_flags(std::span<const std::string> flags);

// addflag and removeflag: `current` with `flags` added after it / taken out of it.
std::vector<std::string> add_flags(std::vector<std::string> current, std::span<const std::string> flags);
std::vector<std::string> remove_flags(std::vector<std::string> current, std::span<const std::string> flags);

}  // namespace letterbox::sieve
