// The comparators of RFC 4790 that Sieve uses (RFC 5228 §2.7.3): i;octet, i;ascii-casemap (the default)
// and i;ascii-numeric (RFC 4790 §9.1). Equality, ordering and, for the first two, the per-character test
// the substring and wildcard matches are built on. Pure functions of their arguments.
#pragma once

#include <optional>
#include <string_view>

namespace letterbox::sieve {

enum class Comparator { octet, ascii_casemap, ascii_numeric };

// By the name a script gives after :comparator; names are compared exactly, as RFC 4790 registers them.
std::optional<Comparator> find_comparator(std::string_view name);
std::string_view comparator_name(Comparator c);

// i;ascii-numeric has no substring operation: :contains and :matches (and :regex) are errors with it.
bool supports_substring(Comparator c);

// One octet against one octet: i;ascii-casemap folds A-Z only.
bool chars_equal(Comparator c, char a, char b);

bool comparator_equal(Comparator c, std::string_view a, std::string_view b);

// <0, 0, >0 as `a` sorts before, with or after `b`. i;ascii-casemap compares upper-cased octets (RFC 4790
// §9.2, so '_' sorts after letters); i;ascii-numeric compares the leading digits as an unbounded number, and
// a string without a leading digit is positive infinity, equal to every other such string.
int comparator_order(Comparator c, std::string_view a, std::string_view b);

}  // namespace letterbox::sieve
