#include "letterbox/sieve/variables.hpp"

#include <algorithm>

#include "letterbox/util/text.hpp"
#include "strings.hpp"

namespace letterbox::sieve {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_ascii_digit);
}

std::string_view match_variable(std::string_view digits, const MatchVariables& matches) {
  digits.remove_prefix(std::min(digits.find_first_not_of('0'), digits.size() - 1));
  if (digits.size() > 9) return {};  // out of any list's range, and would not fit a size_t parse
  std::size_t index = 0;
  for (char c : digits) index = index * 10 + static_cast<std::size_t>(c - '0');
  return matches.get(index);
}

}  // namespace

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Back up over continuation octets (10xxxxxx) to the start of the character the cut falls in.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

bool is_variable_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxIdentifier && is_identifier_start(name.front()) &&
         std::all_of(name.begin(), name.end(), is_identifier_char);
}

bool is_variable_reference(std::string_view name) {
  if (all_digits(name)) return true;
  while (true) {
    const std::size_t dot = name.find('.');
    if (!is_variable_name(name.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    name.remove_prefix(dot + 1);
  }
}

bool VariableStore::set(std::string_view name, std::string_view value) {
  if (!is_variable_name(name)) return false;
  std::string key = ascii_lower(name);
  const auto it = values_.find(key);
  const std::string_view kept = utf8_prefix(value, max_value_size_);
  if (it != values_.end()) {
    it->second.assign(kept);
    return true;
  }
  if (values_.size() >= max_variables_) return false;
  values_.emplace(std::move(key), std::string(kept));
  return true;
}

std::optional<std::string_view> VariableStore::get(std::string_view name) const {
  const auto it = values_.find(ascii_lower(name));
  if (it == values_.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string expand_variables(std::string_view text, const VariableStore& store, const MatchVariables& matches,
                             std::size_t max_size, const NamespaceLookup& namespaces) {
  return expand_variables(
      text, [&](std::string_view name) { return store.get(name); }, matches, max_size, namespaces);
}

std::string expand_variables(std::string_view text, const VariableLookup& variables, const MatchVariables& matches,
                             std::size_t max_size, const NamespaceLookup& namespaces) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size() && out.size() < max_size) {
    const std::size_t open = text.find("${", pos);
    if (open == std::string_view::npos) break;
    out.append(text.substr(pos, open - pos));
    const std::size_t close = text.find_first_of("}$", open + 2);  // a '$' first: this "${" is not a reference
    const std::string_view name =
        close == std::string_view::npos ? std::string_view() : text.substr(open + 2, close - open - 2);
    if (close == std::string_view::npos || text[close] != '}' || !is_variable_reference(name)) {
      out.append("${");
      pos = open + 2;
      continue;
    }
    if (all_digits(name)) {
      out.append(match_variable(name, matches));
    } else if (name.find('.') == std::string_view::npos) {
      out.append(variables(name).value_or(""));
    } else if (namespaces) {
      out.append(namespaces(name).value_or(""));
    }
    pos = close + 1;
  }
  if (pos < text.size() && out.size() < max_size) out.append(text.substr(pos));
  return std::string(utf8_prefix(out, max_size));
}

}  // namespace letterbox::sieve
