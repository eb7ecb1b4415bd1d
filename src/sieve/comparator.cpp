#include "letterbox/sieve/comparator.hpp"

#include <algorithm>

#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

namespace {

int octet_order(std::string_view a, std::string_view b) {
  const int c = a.compare(b);  // char_traits<char>::compare is memcmp: unsigned octets
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int casemap_order(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(ascii_upper(a[i]));
    const auto y = static_cast<unsigned char>(ascii_upper(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

// The leading digits without their leading zeroes; nullopt stands for positive infinity.
std::optional<std::string_view> leading_number(std::string_view s) {
  std::size_t end = 0;
  while (end < s.size() && s[end] >= '0' && s[end] <= '9') ++end;
  if (end == 0) return std::nullopt;
  std::size_t start = 0;
  while (start + 1 < end && s[start] == '0') ++start;
  return s.substr(start, end - start);
}

// Numbers of any length, compared as digit strings: longer is larger once leading zeroes are gone.
int numeric_order(std::string_view a, std::string_view b) {
  const auto x = leading_number(a);
  const auto y = leading_number(b);
  if (!x || !y) return (x ? -1 : 0) + (y ? 1 : 0);
  if (x->size() != y->size()) return x->size() < y->size() ? -1 : 1;
  return octet_order(*x, *y);
}

}  // namespace

std::optional<Comparator> find_comparator(std::string_view name) {
  if (name == "i;octet") return Comparator::octet;
  if (name == "i;ascii-casemap") return Comparator::ascii_casemap;
  if (name == "i;ascii-numeric") return Comparator::ascii_numeric;
  return std::nullopt;
}

std::string_view comparator_name(Comparator c) {
  switch (c) {
    case Comparator::octet: return "i;octet";
    case Comparator::ascii_casemap: return "i;ascii-casemap";
    case Comparator::ascii_numeric: return "i;ascii-numeric";
  }
  return "";
}

bool supports_substring(Comparator c) {
  return c != Comparator::ascii_numeric;
}

bool chars_equal(Comparator c, char a, char b) {
  return c == Comparator::ascii_casemap ? ascii_lower(a) == ascii_lower(b) : a == b;
}

bool comparator_equal(Comparator c, std::string_view a, std::string_view b) {
  switch (c) {
    case Comparator::octet: return a == b;
    case Comparator::ascii_casemap: return iequals_ascii(a, b);
    case Comparator::ascii_numeric: return numeric_order(a, b) == 0;
  }
  return false;
}

int comparator_order(Comparator c, std::string_view a, std::string_view b) {
  switch (c) {
    case Comparator::octet: return octet_order(a, b);
    case Comparator::ascii_casemap: return casemap_order(a, b);
    case Comparator::ascii_numeric: return numeric_order(a, b);
  }
  return 0;
}

}  // namespace letterbox::sieve
