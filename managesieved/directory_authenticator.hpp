// DirectoryAuthenticator: letterbox-managesieved's logins. The name is parsed as an address and looked up
// through the same directory stack letterbox-lmtpd delivers with (the cache, then LDAP), so that whoever
// receives mail is whoever may edit its filters; the password is then checked by an LDAP bind as the DN
// of the entry found. The DN never comes from the login name: a name full of LDAP metacharacters is only
// ever an escaped filter value, which finds nobody. Blocking (the directory, the bind): called on the
// worker pool.
#pragma once

#include <string_view>

#include "letterbox/config/config.hpp"
#include "letterbox/directory/directory.hpp"
#include "letterbox/directory/ldap_directory.hpp"
#include "managesieve_session.hpp"

namespace letterbox {

class DirectoryAuthenticator : public ManageSieveAuthenticator {
 public:
  // `directory`: where users are found (letterbox-lmtpd's CachedDirectory over `ldap`); `ldap`: who
  // checks passwords. Both outlive this object.
  DirectoryAuthenticator(const Settings& settings, Directory& directory, LdapDirectory& ldap)
      : settings_(settings), directory_(directory), ldap_(ldap) {}

  Login login(std::string_view name, std::string_view password) override;

 private:
  const Settings& settings_;
  Directory& directory_;
  LdapDirectory& ldap_;
};

}  // namespace letterbox
