// The Sieve extensions this engine implements, by their `require` names: the one list ManageSieve
// announces (SIEVE capability), `ihave` answers from, and the compiler checks `require` against.
#pragma once

#include <bitset>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace letterbox::sieve {

enum class Extension {
  fileinto,
  envelope,
  encoded_character,
  comparator_ascii_numeric,
  reject,
  ereject,
  relational,
  subaddress,
  vacation,
  vacation_seconds,
  imap4flags,
  copy,
  body,
  variables,
  date,
  index,
  mailbox,
  include,
  duplicate,
  regex,
  ihave,
  environment,
};
inline constexpr std::size_t kExtensionCount = static_cast<std::size_t>(Extension::environment) + 1;

class ExtensionSet {
 public:
  bool has(Extension e) const { return bits_.test(static_cast<std::size_t>(e)); }
  void add(Extension e) { bits_.set(static_cast<std::size_t>(e)); }
  bool operator==(const ExtensionSet&) const = default;

 private:
  std::bitset<kExtensionCount> bits_;
};

// The `require` name of each extension, in the order of the enum ("comparator-i;ascii-numeric", …).
std::string_view extension_name(Extension e);
// Every supported name, for ManageSieve's SIEVE capability (space-separated there) and ihave.
std::span<const std::string_view> supported_extension_names();
// Exact match, as RFC 5228 §3.2 compares capability strings octet by octet.
std::optional<Extension> find_extension(std::string_view name);

}  // namespace letterbox::sieve
