#include "letterbox/sieve/extensions.hpp"

#include <array>

namespace letterbox::sieve {
namespace {

constexpr std::array<std::string_view, kExtensionCount> kNames = {
    "fileinto",
    "envelope",
    "encoded-character",
    "comparator-i;ascii-numeric",
    "reject",
    "ereject",
    "relational",
    "subaddress",
    "vacation",
    "vacation-seconds",
    "imap4flags",
    "copy",
    "body",
    "variables",
    "date",
    "index",
    "mailbox",
    "include",
    "duplicate",
    "regex",
    "ihave",
    "environment",
};

}  // namespace

std::string_view extension_name(Extension e) {
  return kNames[static_cast<std::size_t>(e)];
}

std::span<const std::string_view> supported_extension_names() {
  return kNames;
}

std::optional<Extension> find_extension(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Extension>(i);
  }
  return std::nullopt;
}

}  // namespace letterbox::sieve
