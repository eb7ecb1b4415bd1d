#include "directory_authenticator.hpp"

#include <variant>

#include "letterbox/directory/address.hpp"
#include "letterbox/directory/recipient_resolver.hpp"

namespace letterbox {

Login DirectoryAuthenticator::login(std::string_view name, std::string_view password) {
  std::string why;
  const auto address = parse_address(name, settings_.delivery.recipient_delimiter, why);
  if (!address) return {LoginResult::Refused, {}, {}, "not an address: " + why};
  const Lookup lookup = directory_.lookup(*address);
  const auto resolved = resolve_recipient(settings_, *address, name, lookup);
  if (const auto* refused = std::get_if<Outcome>(&resolved)) {
    switch (refused->status) {
      case Status::UserUnknown: return {LoginResult::Refused, {}, {}, "no such user"};
      case Status::MailboxDisabled: return {LoginResult::Disabled, {}, {}, "account disabled"};
      // Pending (not yet provisioned): the user exists and will be able to log in later, which is
      // neither a wrong password nor a verdict to count against the client.
      case Status::MailboxPending: return {LoginResult::Unavailable, {}, {}, "account pending"};
      case Status::DirectoryUnavailable: return {LoginResult::Unavailable, {}, {}, refused->detail};
      default:
        // A mailbox on another host (host_attribute) is edited there: its scripts are not on this one.
        if (lookup.kind != LookupKind::Found) return {LoginResult::Unavailable, {}, {}, refused->detail};
        return {LoginResult::Refused, {}, {}, "mailbox not on this host: " + refused->detail};
    }
  }
  const std::string user = address->lookup_key();
  const auto user_dir = expand_mailbox_template(settings_.sieve.user_dir, *address);
  if (user_dir.empty()) return {LoginResult::Refused, user, {}, "the address cannot name a directory through user_dir"};
  switch (ldap_.check_password(lookup.entry.dn, password, why)) {
    case PasswordCheck::Accepted: return {LoginResult::Accepted, user, user_dir, {}};
    case PasswordCheck::Refused: return {LoginResult::Refused, user, {}, "wrong password"};
    case PasswordCheck::Unavailable: break;
  }
  return {LoginResult::Unavailable, user, {}, why};
}

}  // namespace letterbox
