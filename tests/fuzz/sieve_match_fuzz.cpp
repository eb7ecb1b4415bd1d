// :matches, :contains and :regex on a pattern and a value from the input (the first byte picks the
// comparator, then pattern NUL value). A value always matches itself quoted by :quotewildcard, a
// successful :matches gives one capture per wildcard, and :contains agrees with a plain search.
#include <algorithm>
#include <string>

#include "fuzz_targets.hpp"
#include "letterbox/sieve/match.hpp"
#include "letterbox/sieve/set_modifiers.hpp"
#include "letterbox/sieve/wildcard.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox::fuzz {

namespace {

// The wildcards of a :matches pattern, '\' quoting as the matcher reads it.
std::size_t wildcards(std::string_view pattern) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      ++i;
    } else if (pattern[i] == '*' || pattern[i] == '?') {
      ++n;
    }
  }
  return n;
}

}  // namespace

int sieve_match(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using namespace letterbox::sieve;
  const auto c = (data[0] & 1) != 0 ? Comparator::octet : Comparator::ascii_casemap;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t nul = std::min(rest.find('\0'), rest.size());
  const std::string_view pattern = rest.substr(0, nul);
  const std::string_view value = rest.substr(std::min(nul + 1, rest.size()));

  std::vector<std::string> captures;
  if (wildcard_match(value, pattern, c, &captures)) FUZZ_CHECK(captures.size() == wildcards(pattern));
  const SetModifier quote[] = {SetModifier::quotewildcard};
  FUZZ_CHECK(wildcard_match(value, apply_modifiers(value, quote), Comparator::octet));
  FUZZ_CHECK(wildcard_match(value, "*", c));
  const bool found = c == Comparator::octet ? value.find(pattern) != std::string_view::npos
                                            : ascii_lower(value).find(ascii_lower(pattern)) != std::string::npos;
  FUZZ_CHECK(contains(value, pattern, c) == found);

  std::string why;
  if (const auto re = Regex::compile(pattern, c, why)) {
    re->search(value, &captures);
  } else {
    FUZZ_CHECK(!why.empty());
  }
  return 0;
}

}  // namespace letterbox::fuzz
