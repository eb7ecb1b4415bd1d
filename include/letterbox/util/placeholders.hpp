// The one expander of "%x" templates ([ldap] filter, [delivery] mailbox_template): each '%' and the
// letter after it are replaced by what the caller's `value` function says; "%%" is a '%'. Escaping, and
// which letters exist, are the caller's: the expander only finds the placeholders.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace letterbox {

// What a '%' with no letter after it (the text's last character) means.
enum class LonePercent {
  Literal,  // kept as written
  Refused,  // the template is refused
};

// The text to put for placeholder `letter` (never '%'), or nullopt to refuse the whole template.
using PlaceholderValue = std::function<std::optional<std::string>(char letter)>;

// `text` with every placeholder replaced; nullopt when `value` refused one, or a lone '%' is Refused.
std::optional<std::string> expand_placeholders(std::string_view text, const PlaceholderValue& value,
                                               LonePercent lone = LonePercent::Literal);

// True when every placeholder of `text` is one of `letters` (or "%%") and no '%' stands alone at its end.
bool placeholders_known(std::string_view text, std::string_view letters);

}  // namespace letterbox
