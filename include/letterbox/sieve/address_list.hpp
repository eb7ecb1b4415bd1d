// The addresses in an address header (From, To, Cc, Sender, Resent-*...) as Sieve's address test sees them
// (RFC 5228 §2.7.4, §5.1; RFC 5322 §3.4 with its obsolete forms): display names, comments and groups
// dropped, quoted local parts unquoted, obsolete routes ("<@a,@b:user@c>") ignored; and the address parts,
// the subaddress ones of RFC 5233 included.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace letterbox::sieve {

struct AddressItem {
  std::string all;  // valid: local@domain (local re-quoted if it must be); invalid: the text as written
  std::string localpart;
  std::string domain;
  bool valid = false;
};

// Never fails; empty members ("a@b,,c@d", "undisclosed-recipients:;") give no item. At most `max_items`.
// An invalid address (no '@', an empty side) is kept, marked invalid: RFC 5228 §2.7.4 says only that
// :localpart and :domain never match it; like Pigeonhole, :all compares its text as written. Unlike
// Pigeonhole, which on a header it cannot parse as a whole makes the whole value one invalid item, each
// member stands alone: "junk, a@b" still yields a@b, and an empty group yields nothing (it holds no
// address; Pigeonhole's :all sees "undisclosed-recipients:;").
std::vector<AddressItem> parse_address_list(std::string_view value, std::size_t max_items = 1000);

enum class AddressPart { all, localpart, domain, user, detail };

// The tags' names without the colon: "all", "localpart", "domain", "user", "detail".
std::optional<AddressPart> find_address_part(std::string_view name);
std::string_view address_part_name(AddressPart part);

// The part a test compares, or nullopt when the item has none (so it matches no key): :localpart, :domain,
// :user and :detail of an invalid address, and :detail of a local part without `separator`. The local
// part is split at the first separator (RFC 5233 §4 leaves several to the implementation; Dovecot and
// Postfix take the first). An empty detail ("user+@x") is "".
std::optional<std::string> address_part(const AddressItem& item, AddressPart part, std::string_view separator = "+");

}  // namespace letterbox::sieve
