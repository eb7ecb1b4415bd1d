#include "address_syntax.hpp"

#include <algorithm>

namespace letterbox::sieve {
namespace {

bool plausible_local_part(std::string_view local) {
  if (local.size() >= 2 && local.front() == '"' && local.back() == '"') {
    return std::all_of(local.begin(), local.end(), [](char c) { return c >= 32 && c < 127; });
  }
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  bool after_dot = true;  // no leading dot, no two in a row
  for (char c : local) {
    if (c == '.') {
      if (after_dot) return false;
      after_dot = true;
      continue;
    }
    const bool atext = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       kSpecials.find(c) != std::string_view::npos;
    if (!atext) return false;
    after_dot = false;
  }
  return !after_dot;
}

}  // namespace

bool plausible_address(std::string_view text) {
  const auto at = text.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == text.size()) return false;
  if (!plausible_local_part(text.substr(0, at))) return false;
  const std::string_view domain = text.substr(at + 1);
  return std::none_of(domain.begin(), domain.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 32 || c == '<' || c == '>' || c == ',' || c == 127;
  });
}

bool plausible_mailbox(std::string_view text) {
  const auto open = text.rfind('<');
  if (open == std::string_view::npos) return plausible_address(text);
  const auto close = text.find('>', open);
  return close != std::string_view::npos && plausible_address(text.substr(open + 1, close - open - 1));
}

}  // namespace letterbox::sieve
