#include "letterbox/directory/address.hpp"

#include <algorithm>
#include <cctype>

#include "letterbox/util/text.hpp"

namespace letterbox {
namespace {

// RFC 5321's 64-octet local part and 254-octet path are minimums a server must accept, not maximums:
// SRS and VERP addresses and long subaddresses exceed them, and the MTA has already accepted the mail.
// Refusing one would bounce it (5xx), so only the 512-octet command line bounds an address.
constexpr std::size_t kMaxAddress = 500;
constexpr std::size_t kMaxDomain = 255;  // DNS's own limit

// atext, plus UTF-8 (RFC 6531): a directory may well hold internationalized addresses.
bool is_atext(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80 ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool valid_dot_string(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char previous = '\0';
  for (char c : s) {
    if (c == '.' && previous == '.') return false;
    if (c != '.' && !is_atext(c)) return false;
    previous = c;
  }
  return true;
}

bool valid_quoted_string(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      if (++i + 1 >= s.size()) return false;
      const auto q = static_cast<unsigned char>(s[i]);
      if (q < 32 || q > 126) return false;
    } else if (c < 32 || c > 126 || c == '"') {
      return false;
    }
  }
  return true;
}

bool valid_domain(std::string_view d) {
  if (d.empty()) return false;
  if (d.front() == '[') {
    // Address literal: [IPv4], [IPv6:...] or [tag:content]; printable, no brackets or backslashes inside.
    if (d.size() < 3 || d.back() != ']') return false;
    return std::all_of(d.begin() + 1, d.end() - 1,
                       [](char c) { return c > 32 && c < 127 && c != '[' && c != ']' && c != '\\'; });
  }
  std::size_t start = 0;
  while (start <= d.size()) {
    const auto dot = d.find('.', start);
    const auto label = d.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    // '_' is not a hostname character, but it occurs in real (internal) mail domains; UTF-8 is an
    // internationalized domain not yet in its A-label form.
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' &&
          static_cast<unsigned char>(c) < 0x80) {
        return false;
      }
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

}  // namespace

std::optional<Address> parse_address(std::string_view text, std::string_view delimiters, std::string& why) {
  if (text.empty()) {
    why = "empty address";
    return std::nullopt;
  }
  if (text.size() > kMaxAddress) {
    why = "address longer than " + std::to_string(kMaxAddress) + " octets";
    return std::nullopt;
  }
  const auto at = text.rfind('@');
  if (at == std::string_view::npos) {
    why = "address has no domain";
    return std::nullopt;
  }
  const auto local = text.substr(0, at);
  const auto domain = text.substr(at + 1);
  if (domain.size() > kMaxDomain) {
    why = "domain longer than " + std::to_string(kMaxDomain) + " octets";
    return std::nullopt;
  }
  if (!valid_dot_string(local) && !valid_quoted_string(local)) {
    why = "invalid local part";
    return std::nullopt;
  }
  if (!valid_domain(domain)) {
    why = "invalid domain";
    return std::nullopt;
  }
  Address address;
  address.domain = ascii_lower(domain);
  // The subaddress starts at the first delimiter, unless that would leave no user ("+tag@", a quoted part).
  const auto split = local.front() == '"' ? std::string_view::npos : local.find_first_of(delimiters);
  if (!delimiters.empty() && split != std::string_view::npos && split > 0) {
    address.local = ascii_lower(local.substr(0, split));
    address.subaddress = std::string(local.substr(split + 1));
  } else {
    address.local = ascii_lower(local);
  }
  return address;
}

}  // namespace letterbox
