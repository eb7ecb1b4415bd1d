#include "letterbox/sieve/set_modifiers.hpp"

#include <algorithm>
#include <vector>

#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

namespace {

std::string escape_specials(std::string_view value, std::string_view specials) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (specials.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::size_t utf8_length(std::string_view value) {
  return static_cast<std::size_t>(
      std::count_if(value.begin(), value.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string apply_one(std::string value, SetModifier m) {
  switch (m) {
    case SetModifier::lower: return ascii_lower(value);
    case SetModifier::upper: return ascii_upper(value);
    case SetModifier::lowerfirst:
      if (!value.empty()) value[0] = ascii_lower(value[0]);
      return value;
    case SetModifier::upperfirst:
      if (!value.empty()) value[0] = ascii_upper(value[0]);
      return value;
    case SetModifier::quotewildcard: return escape_specials(value, "*?\\");
    case SetModifier::quoteregex: return escape_specials(value, "*.\\?+[](){}^$|");
    case SetModifier::length: return std::to_string(utf8_length(value));
  }
  return value;
}

}  // namespace

namespace {
constexpr std::string_view kModifiers[] = {"lower",         "upper",      "lowerfirst", "upperfirst",
                                           "quotewildcard", "quoteregex", "length"};
}  // namespace

std::optional<SetModifier> find_modifier(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kModifiers); ++i) {
    if (name == kModifiers[i]) return static_cast<SetModifier>(i);
  }
  return std::nullopt;
}

std::string_view modifier_name(SetModifier m) {
  return kModifiers[static_cast<std::size_t>(m)];
}

int modifier_precedence(SetModifier m) {
  switch (m) {
    case SetModifier::lower:
    case SetModifier::upper: return 40;
    case SetModifier::lowerfirst:
    case SetModifier::upperfirst: return 30;
    case SetModifier::quotewildcard:
    case SetModifier::quoteregex: return 20;
    case SetModifier::length: return 10;
  }
  return 0;
}

bool modifiers_conflict(std::span<const SetModifier> modifiers) {
  for (std::size_t i = 0; i < modifiers.size(); ++i) {
    for (std::size_t j = i + 1; j < modifiers.size(); ++j) {
      if (modifiers[i] != modifiers[j] && modifier_precedence(modifiers[i]) == modifier_precedence(modifiers[j])) {
        return true;
      }
    }
  }
  return false;
}

std::string apply_modifiers(std::string_view value, std::span<const SetModifier> modifiers) {
  std::vector<SetModifier> ordered(modifiers.begin(), modifiers.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](SetModifier a, SetModifier b) { return modifier_precedence(a) > modifier_precedence(b); });
  ordered.erase(std::unique(ordered.begin(), ordered.end()), ordered.end());
  std::string out(value);
  for (SetModifier m : ordered) out = apply_one(std::move(out), m);
  return out;
}

}  // namespace letterbox::sieve
