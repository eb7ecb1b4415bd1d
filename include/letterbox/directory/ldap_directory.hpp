// LdapDirectory: recipient lookups in LDAP through the OpenLDAP client library.
// Contract: a pool of at most `pool_size` connections, each used by one thread at a time; a connection
// is made on first use by trying each `uri` in order (protocol 3, no referrals, StartTLS if configured,
// a simple or anonymous bind) and is rebuilt after any error. `network_timeout` bounds connecting,
// `timeout` every bind and search. The search asks for at most 2 entries: 0 is Unknown, 1 Found, more
// Ambiguous. Everything else (down, timed out, busy, unavailable, bind refused, no such base) is
// Unavailable: a directory failure never comes out as an unknown user.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "letterbox/config/config.hpp"
#include "letterbox/directory/directory.hpp"

namespace letterbox {

// RFC 4515 escaping of a value for an LDAP filter ('*', '(', ')', '\' and NUL become \2A \28 \29 \5C \00).
std::string escape_filter_value(std::string_view value);

// The filter template with %s (address), %u (local part), %d (domain) escaped and substituted; %% is '%'.
std::string expand_filter(std::string_view filter_template, const Address& address);

// What the directory said of a password (check_password).
enum class PasswordCheck {
  Accepted,     // the bind as the entry succeeded
  Refused,      // invalid credentials (or an empty password, never sent)
  Unavailable,  // no server answered the bind: not a verdict on the password
};

class LdapDirectory : public Directory {
 public:
  explicit LdapDirectory(LdapSettings settings);
  ~LdapDirectory() override;
  LdapDirectory(const LdapDirectory&) = delete;
  LdapDirectory& operator=(const LdapDirectory&) = delete;

  Lookup lookup(const Address& address) override;

  // Whether `password` is the password of the entry `dn` (an entry lookup() found, never a name from the
  // network), by a simple bind as that entry on a connection of its own: a bind changes who a connection
  // is, so it never touches the pool. Letterbox neither stores nor compares a password. An empty one is
  // Refused without asking, since LDAP takes a DN without a password as an unauthenticated bind that
  // succeeds (RFC 4513 5.1.2). `why`: the servers' answers, for the log.
  PasswordCheck check_password(const std::string& dn, std::string_view password, std::string& why);

 private:
  struct Connection;

  std::unique_ptr<Connection> take_connection(std::chrono::steady_clock::time_point deadline, std::string& why);
  void return_connection(std::unique_ptr<Connection> connection);
  bool connect(Connection& connection, std::string& why);
  // The first server of `uri` that takes a bind as `dn` (anonymous when empty); the last bind's result
  // code in `bind_rc` (-1 when no server got as far as a bind).
  bool bind_to_first_server(const std::string& dn, std::string_view password, Connection& connection, std::string& why,
                            int& bind_rc);
  Lookup search(Connection& connection, const Address& address, int& ldap_result_code);

  LdapSettings settings_;
  std::string bind_password_;
  std::vector<std::string> attributes_;  // the attributes the search asks for

  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  unsigned created_ = 0;
};

}  // namespace letterbox
