#include "letterbox/util/placeholders.hpp"

namespace letterbox {

std::optional<std::string> expand_placeholders(std::string_view text, const PlaceholderValue& value, LonePercent lone) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 1 >= text.size()) {
      if (lone == LonePercent::Refused) return std::nullopt;
      out += c;
      continue;
    }
    const char letter = text[++i];
    if (letter == '%') {
      out += '%';
      continue;
    }
    auto expanded = value(letter);
    if (!expanded) return std::nullopt;
    out += *expanded;
  }
  return out;
}

bool placeholders_known(std::string_view text, std::string_view letters) {
  const auto known = [letters](char letter) -> std::optional<std::string> {
    if (letters.find(letter) == std::string_view::npos) return std::nullopt;
    return std::string();
  };
  return expand_placeholders(text, known, LonePercent::Refused).has_value();
}

}  // namespace letterbox
