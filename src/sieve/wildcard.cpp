#include "letterbox/sieve/wildcard.hpp"

#include "needle_search.hpp"

namespace letterbox::sieve {

namespace {

// The pattern cut at its '*': segment i comes before star i. A '?' is a token of its segment.
struct Pattern {
  std::vector<std::vector<NeedleToken>> segments{1};
};

Pattern parse_pattern(std::string_view pattern) {
  Pattern p;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char ch = pattern[i];
    if (ch == '*') {
      p.segments.emplace_back();
    } else if (ch == '?') {
      p.segments.back().push_back({0, true});
    } else if (ch == '\\' && i + 1 < pattern.size()) {
      p.segments.back().push_back({pattern[++i], false});
    } else {
      p.segments.back().push_back({ch, false});
    }
  }
  return p;
}

// Where each segment starts in `value`, or empty if the value does not match. The first segment is
// anchored at the start, the last at the end, and each one between goes at its earliest place: if any
// placement works, the earliest does too, and it makes every '*' before it as short as it can be.
std::vector<std::size_t> place_segments(std::string_view value, const Pattern& p, Comparator c) {
  const auto& segs = p.segments;
  const std::size_t k = segs.size() - 1;
  if (k == 0) {
    if (value.size() != segs[0].size() || !needle_at(value, 0, segs[0], c)) return {};
    return {0};
  }
  if (segs[0].size() + segs[k].size() > value.size()) return {};
  const std::size_t tail = value.size() - segs[k].size();
  if (!needle_at(value, 0, segs[0], c) || !needle_at(value, tail, segs[k], c)) return {};
  std::vector<std::size_t> starts{0};
  std::size_t pos = segs[0].size();
  const std::string_view middle = value.substr(0, tail);
  for (std::size_t i = 1; i < k; ++i) {
    const std::size_t at = find_needle(middle, pos, segs[i], c);
    if (at == std::string_view::npos) return {};
    starts.push_back(at);
    pos = at + segs[i].size();
  }
  starts.push_back(tail);
  return starts;
}

std::vector<std::string> wildcard_values(std::string_view value, const Pattern& p,
                                         const std::vector<std::size_t>& starts) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < p.segments.size(); ++i) {
    const auto& seg = p.segments[i];
    for (std::size_t t = 0; t < seg.size(); ++t) {
      if (seg[t].any) out.emplace_back(value.substr(starts[i] + t, 1));
    }
    if (i + 1 < p.segments.size()) {
      const std::size_t from = starts[i] + seg.size();
      out.emplace_back(value.substr(from, starts[i + 1] - from));
    }
  }
  return out;
}

}  // namespace

bool wildcard_match(std::string_view value, std::string_view pattern, Comparator c,
                    std::vector<std::string>* captures) {
  if (!supports_substring(c)) return false;
  const Pattern p = parse_pattern(pattern);
  const auto starts = place_segments(value, p, c);
  if (starts.empty()) return false;
  if (captures != nullptr) *captures = wildcard_values(value, p, starts);
  return true;
}

bool contains(std::string_view value, std::string_view key, Comparator c) {
  if (!supports_substring(c)) return false;
  std::vector<NeedleToken> needle;
  needle.reserve(key.size());
  for (char ch : key) needle.push_back({ch, false});
  return find_needle(value, 0, needle, c) != std::string_view::npos;
}

}  // namespace letterbox::sieve
