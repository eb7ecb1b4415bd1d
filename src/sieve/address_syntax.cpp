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

bool quoted(std::string_view s) {
  return s.size() >= 2 && s.front() == '"' && s.back() == '"';
}

std::string_view trim_blanks(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
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

std::optional<std::string> redirect_address(std::string_view text) {
  text = trim_blanks(text);
  if (!text.empty() && text.back() == '>') {
    const auto open = text.rfind('<');
    if (open == std::string_view::npos) return std::nullopt;
    // The phrase is only words; anything that would make the text a list or a group is not a name.
    const std::string_view phrase = text.substr(0, open);
    if (phrase.find_first_of("<>@,;:") != std::string_view::npos && !quoted(trim_blanks(phrase))) {
      return std::nullopt;
    }
    text = trim_blanks(text.substr(open + 1, text.size() - open - 2));
  }
  const auto at = text.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  std::string local(trim_blanks(text.substr(0, at)));
  const std::string_view domain = trim_blanks(text.substr(at + 1));
  // "\"judy\"@example.net" is judy@example.net: the quotes add nothing to a dot-atom.
  if (quoted(local) && plausible_local_part(std::string_view(local).substr(1, local.size() - 2))) {
    local = local.substr(1, local.size() - 2);
  }
  std::string address = local + "@" + std::string(domain);
  if (!plausible_address(address)) return std::nullopt;
  return address;
}

bool plausible_mailbox(std::string_view text) {
  const auto open = text.rfind('<');
  if (open == std::string_view::npos) return plausible_address(text);
  const auto close = text.find('>', open);
  return close != std::string_view::npos && plausible_address(text.substr(open + 1, close - open - 1));
}

}  // namespace letterbox::sieve
