// The :matches and :contains match types (RFC 5228 §2.7.1) with the match variables of RFC 5229 §3.2.
//
// A pattern is literal octets, '*' (any run, possibly empty), '?' (one octet: both comparators that support
// substrings define a character as an octet) and '\' quoting the next octet; a '\' at the very end stands
// for itself, as in Pigeonhole. The wildcards match as little as possible, left to right (RFC 5229 §3.2:
// "[*] *" on "[acme-users] [fwd] version 1.0 is out" gives "acme-users" and "[fwd] version 1.0 is out");
// only the last '*' takes what is left, because the whole value must match.
//
// Time is linear in the value (times the pattern's pieces in 64-bit words), whatever the pattern: each
// piece between two '*' goes at its earliest place, which is both the non-greedy answer and the only
// one that needs to be tried, so there is no backtracking at all.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "letterbox/sieve/comparator.hpp"

namespace letterbox::sieve {

// Does all of `value` match `pattern`? With `captures`, replaces its contents by one string per wildcard,
// in the pattern's order (${1}, ${2}, ...), when it matches; leaves it alone when not.
bool wildcard_match(std::string_view value, std::string_view pattern, Comparator c,
                    std::vector<std::string>* captures = nullptr);

// :contains — is `key` a substring of `value`? The empty key is in every value.
bool contains(std::string_view value, std::string_view key, Comparator c);

}  // namespace letterbox::sieve
