#include "letterbox/sieve/script_name.hpp"

#include <algorithm>

#include "utf8.hpp"

namespace letterbox::sieve {

std::string script_name_problem(std::string_view name) {
  if (name.empty()) return "the name is empty";
  if (!is_valid_utf8(name)) return "the name is not valid UTF-8";
  if (name.size() > kMaxScriptNameOctets) {
    return "the name is longer than " + std::to_string(kMaxScriptNameOctets) + " octets";
  }
  const auto characters = std::count_if(name.begin(), name.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // every byte but a continuation starts a character
  });
  if (static_cast<std::size_t>(characters) > kMaxScriptNameCharacters) {
    return "the name is longer than " + std::to_string(kMaxScriptNameCharacters) + " characters";
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    const auto next = i + 1 < name.size() ? static_cast<unsigned char>(name[i + 1]) : 0;
    const auto third = i + 2 < name.size() ? static_cast<unsigned char>(name[i + 2]) : 0;
    // U+0080-009F are C2 80 to C2 9F; U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
    if (c < 0x20 || c == 0x7F || (c == 0xC2 && next <= 0x9F) ||
        (c == 0xE2 && next == 0x80 && (third == 0xA8 || third == 0xA9))) {
      return "the name contains a control character";
    }
    if (c == '/') return "the name contains '/'";
  }
  if (name.front() == '.') return "the name starts with '.'";
  return "";
}

}  // namespace letterbox::sieve
