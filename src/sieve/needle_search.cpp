#include "needle_search.hpp"

#include <array>
#include <cstdint>
#include <vector>

#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

namespace {

// A needle longer than this is searched by its first kMaxBits tokens and then checked in place: only a
// script author can write one, and it bounds the masks at 257 × kMaxBits bits.
constexpr std::size_t kWordBits = 64;
constexpr std::size_t kMaxBits = 64 * 1024;

// One mask per octet the needle names (folded together under i;ascii-casemap) and one for every other
// octet, which only the '?' positions accept: a flat table, so that a needle costs two allocations.
struct Masks {
  std::size_t words = 0;
  std::array<std::uint16_t, 256> row_of{};  // 0: "any other octet"
  std::vector<std::uint64_t> rows;

  const std::uint64_t* row(char octet) const { return &rows[row_of[static_cast<unsigned char>(octet)] * words]; }
};

Masks build_masks(std::span<const NeedleToken> needle, Comparator c) {
  Masks m;
  m.words = (needle.size() + kWordBits - 1) / kWordBits;
  std::uint16_t rows = 1;
  for (const auto& t : needle) {
    if (t.any) continue;
    const char forms[] = {t.octet, c == Comparator::ascii_casemap ? ascii_lower(t.octet) : t.octet,
                          c == Comparator::ascii_casemap ? ascii_upper(t.octet) : t.octet};
    const std::uint16_t row = m.row_of[static_cast<unsigned char>(forms[1])] != 0
                                  ? m.row_of[static_cast<unsigned char>(forms[1])]
                                  : m.row_of[static_cast<unsigned char>(forms[0])];
    const std::uint16_t assigned = row != 0 ? row : rows++;
    for (char f : forms) m.row_of[static_cast<unsigned char>(f)] = assigned;
  }
  m.rows.assign(std::size_t{rows} * m.words, 0);
  for (std::size_t i = 0; i < needle.size(); ++i) {
    const std::uint64_t bit = std::uint64_t{1} << (i % kWordBits);
    if (!needle[i].any) {
      m.rows[m.row_of[static_cast<unsigned char>(needle[i].octet)] * m.words + i / kWordBits] |= bit;
      continue;
    }
    for (std::uint16_t r = 0; r < rows; ++r) m.rows[r * m.words + i / kWordBits] |= bit;
  }
  return m;
}

// state = ((state << 1) | 1) & mask, over several words.
void step(std::vector<std::uint64_t>& state, const std::uint64_t* mask) {
  std::uint64_t carry = 1;
  for (std::size_t w = 0; w < state.size(); ++w) {
    const std::uint64_t next_carry = state[w] >> (kWordBits - 1);
    state[w] = ((state[w] << 1) | carry) & mask[w];
    carry = next_carry;
  }
}

}  // namespace

bool needle_at(std::string_view haystack, std::size_t at, std::span<const NeedleToken> needle, Comparator c) {
  if (at > haystack.size() || haystack.size() - at < needle.size()) return false;
  for (std::size_t i = 0; i < needle.size(); ++i) {
    if (!needle[i].any && !chars_equal(c, needle[i].octet, haystack[at + i])) return false;
  }
  return true;
}

std::size_t find_needle(std::string_view haystack, std::size_t from, std::span<const NeedleToken> needle,
                        Comparator c) {
  if (from > haystack.size()) return std::string_view::npos;
  if (needle.empty()) return from;
  const auto head = needle.subspan(0, std::min(needle.size(), kMaxBits));
  const Masks masks = build_masks(head, c);
  const std::size_t last = head.size() - 1;
  const std::uint64_t last_bit = std::uint64_t{1} << (last % kWordBits);
  std::vector<std::uint64_t> state(masks.words, 0);
  for (std::size_t i = from; i < haystack.size(); ++i) {
    step(state, masks.row(haystack[i]));
    if ((state[last / kWordBits] & last_bit) == 0) continue;
    const std::size_t start = i + 1 - head.size();
    if (head.size() == needle.size() || needle_at(haystack, start, needle, c)) return start;
  }
  return std::string_view::npos;
}

}  // namespace letterbox::sieve
