// The one substring search under :contains and :matches: the earliest place a needle of literal octets and
// any-octet positions ('?') occurs, under a comparator. Shift-And (bit-parallel), so time is linear in the
// haystack times the needle's length in 64-bit words — never the quadratic rescans a naive search makes on
// hostile input.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "letterbox/sieve/comparator.hpp"

namespace letterbox::sieve {

struct NeedleToken {
  char octet = 0;
  bool any = false;  // '?': one octet, whatever it is
};

// The position in `haystack` at or after `from` where `needle` starts first, or npos. An empty needle is
// found at `from`.
std::size_t find_needle(std::string_view haystack, std::size_t from, std::span<const NeedleToken> needle, Comparator c);

// Does `needle` match `haystack` at exactly `at` (which must leave room for it)?
bool needle_at(std::string_view haystack, std::size_t at, std::span<const NeedleToken> needle, Comparator c);

}  // namespace letterbox::sieve
