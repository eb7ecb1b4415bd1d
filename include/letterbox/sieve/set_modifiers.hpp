// The modifiers of the "set" action (RFC 5229 §4, and :quoteregex of the regex draft), applied in their
// order of precedence whatever order the script wrote them in.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace letterbox::sieve {

enum class SetModifier { lower, upper, lowerfirst, upperfirst, quotewildcard, quoteregex, length };

// The tags' names without the colon: "lower", "upper", …, "length".
std::optional<SetModifier> find_modifier(std::string_view name);
std::string_view modifier_name(SetModifier m);

// 40: :lower :upper; 30: :lowerfirst :upperfirst; 20: :quotewildcard :quoteregex; 10: :length.
int modifier_precedence(SetModifier m);

// Two modifiers of one precedence in one "set" are an error of the script (RFC 5229 §4).
bool modifiers_conflict(std::span<const SetModifier> modifiers);

// Case changes are ASCII only, like the comparators; :length counts UTF-8 characters, not octets.
// :quotewildcard puts '\' before '*', '?' and '\'; :quoteregex before each of * . \ ? + [ ] ( ) { } ^ $ |.
std::string apply_modifiers(std::string_view value, std::span<const SetModifier> modifiers);

}  // namespace letterbox::sieve
