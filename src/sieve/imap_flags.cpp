#include "letterbox/sieve/imap_flags.hpp"

#include <algorithm>
#include <array>

#include "letterbox/util/text.hpp"

namespace letterbox::sieve {
namespace {

// RFC 3501 §9: ATOM-CHAR is any CHAR but atom-specials: ( ) { SP CTL % * " \ ]
bool is_atom_char(char c) {
  static constexpr std::string_view kSpecials = "(){%*\"\\]";
  return c > ' ' && c < 127 && kSpecials.find(c) == std::string_view::npos;
}

bool contains_flag(std::span<const std::string> flags, std::string_view flag) {
  return std::any_of(flags.begin(), flags.end(), [&](const std::string& f) { return iequals_ascii(f, flag); });
}

void append_words(std::vector<std::string>& out, std::string_view list) {
  for (auto& word : split_words(list, " ")) {
    if (is_settable_flag(word) && !contains_flag(out, word)) out.push_back(std::move(word));
  }
}

}  // namespace

bool is_settable_flag(std::string_view flag) {
  static constexpr std::array<std::string_view, 5> kSystem = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
                                                              "\\Draft"};
  if (!flag.empty() && flag.front() == '\\') {
    return std::any_of(kSystem.begin(), kSystem.end(), [&](std::string_view s) { return iequals_ascii(s, flag); });
  }
  return !flag.empty() && std::all_of(flag.begin(), flag.end(), is_atom_char);
}

std::vector<std::string> normalise_flags(std::span<const std::string> lists) {
  std::vector<std::string> out;
  for (const auto& list : lists) append_words(out, list);
  return out;
}

std::vector<std::string> normalise_flags(std::string_view list) {
  std::vector<std::string> out;
  append_words(out, list);
  return out;
}

std::string join_flags(std::span<const std::string> flags) {
  std::string out;
  for (const auto& flag : flags) {
    if (!out.empty()) out += ' ';
    out += flag;
  }
  return out;
}

std::vector<std::string> add_flags(std::vector<std::string> current, std::span<const std::string> flags) {
  for (const auto& flag : flags) {
    if (!contains_flag(current, flag)) current.push_back(flag);
  }
  return current;
}

std::vector<std::string> remove_flags(std::vector<std::string> current, std::span<const std::string> flags) {
  std::erase_if(current, [&](const std::string& f) { return contains_flag(flags, f); });
  return current;
}

}  // namespace letterbox::sieve
