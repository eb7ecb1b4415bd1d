// parse_address: what it accepts is lower-cased for the directory, splits cleanly at the last '@', and
// parses again to itself; taking the subaddress off twice changes nothing.
#include <cctype>
#include <string>

#include "fuzz_targets.hpp"
#include "letterbox/directory/address.hpp"

namespace letterbox::fuzz {

int address(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string why;
  const auto parsed = parse_address(text, "+", why);
  if (!parsed) {
    FUZZ_CHECK(!why.empty());
    return 0;
  }
  FUZZ_CHECK(!parsed->local.empty() && !parsed->domain.empty());
  const std::string key = parsed->lookup_key();
  FUZZ_CHECK(key.size() <= 500);
  for (char c : parsed->domain) FUZZ_CHECK(!std::isupper(static_cast<unsigned char>(c)));
  FUZZ_CHECK(parsed->domain.find('@') == std::string::npos);
  FUZZ_CHECK(key.substr(0, key.rfind('@')) == parsed->local);
  // The lookup key is itself an address with no subaddress left to take.
  // Except where the split at the delimiter left a dot at its end ("a.+b" looks up "a.", as Postfix and
  // Dovecot would): the whole local part was a valid dot-atom, its front need not be (found by this target).
  const auto again = parse_address(key, "", why);
  const bool split_left_a_dot = parsed->local.back() == '.';  // never so without a split
  FUZZ_CHECK(again.has_value() || split_left_a_dot);
  if (!again) return 0;
  FUZZ_CHECK(again->local == parsed->local && again->domain == parsed->domain && again->subaddress.empty());
  const auto twice = parse_address(key, "+", why);
  FUZZ_CHECK(twice.has_value());
  FUZZ_CHECK(twice->lookup_key() == key || !twice->subaddress.empty());
  return 0;
}

}  // namespace letterbox::fuzz
