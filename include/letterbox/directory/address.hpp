// Recipient addresses as they arrive from the network or the command line: checked against RFC 5321's
// syntax before anything else sees them (liberally: UTF-8, '_' in domains and local parts over 64 octets
// pass, since refusing mail the MTA accepted bounces it), lower-cased for the directory, and split at
// the recipient delimiter ("alice+Lists@example.org": lookup alice@example.org, folder "Lists").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace letterbox {

struct Address {
  std::string local;       // lower-cased local part without the subaddress
  std::string domain;      // lower-cased domain (or address literal)
  std::string subaddress;  // as written (it names a folder, and folder names keep their case)

  // What the directory is asked for: local@domain.
  [[nodiscard]] std::string lookup_key() const { return local + "@" + domain; }
};

// Parses an address without its angle brackets. `delimiters`: each character is a recipient delimiter;
// empty disables subaddresses. nullopt with `why` set when the address is not a valid RFC 5321 mailbox
// (or is longer than 255 octets of domain or 500 in all).
std::optional<Address> parse_address(std::string_view text, std::string_view delimiters, std::string& why);

}  // namespace letterbox
