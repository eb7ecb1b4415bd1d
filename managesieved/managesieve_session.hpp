// ManageSieveSession: RFC 5804's commands for one connection, as a function from the parser's lines to
// the text to send. No I/O: the server owns the socket, TLS and the clock, so that every response can be
// tested alone. Before authentication: CAPABILITY, STARTTLS, AUTHENTICATE (PLAIN, and LOGIN for old
// clients), NOOP, LOGOUT. After it: the script commands on the user's SieveScriptStore (which compiles,
// writes atomically and refuses what the user may not do), HAVESPACE with the [managesieve] quotas, and
// UNAUTHENTICATE.
//
// Security: AUTHENTICATE before STARTTLS is refused (ENCRYPT-NEEDED) unless the peer is loopback or
// allow_plaintext_auth; a failed login is answered after auth_failure_delay, logged in one line that
// fail2ban can match ("managesieve: login failed: user=<NAME> rip=ADDRESS (REASON)"), and after
// max_auth_failures (in the connection, or from its address across connections: AuthFailures) the
// connection is closed; a directory that does not answer is NO (TRYLATER), never
// a wrong password. The user's scripts are the only ones a session ever names.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth_failures.hpp"
#include "letterbox/config/config.hpp"
#include "letterbox/store/sieve_script_store.hpp"
#include "managesieve_parser.hpp"

namespace letterbox {

enum class LoginResult {
  Accepted,
  Refused,      // no such user, or a wrong password: the client is told the same for both
  Disabled,     // the account is disabled in the directory
  Unavailable,  // the directory did not answer: not a verdict
};

struct Login {
  LoginResult result = LoginResult::Refused;
  std::string user;      // who logged in, as the directory names them (for the log)
  std::string user_dir;  // [sieve] user_dir expanded for them, relative to mail_root
  std::string detail;    // for the log
};

// Checks a login name and password (letterbox-managesieved: the directory and an LDAP bind).
class ManageSieveAuthenticator {
 public:
  virtual ~ManageSieveAuthenticator() = default;
  virtual Login login(std::string_view name, std::string_view password) = 0;
};

// What the server knows of the connection.
struct ManageSieveConnection {
  std::string peer;       // the client's address, for the log and the failure count
  bool loopback = false;  // a peer on this host (or a UNIX socket): failures counted per connection
  AuthFailures* failures_by_address = nullptr;  // the server's count across connections; null: per connection
  bool tls_available = false;                   // [server] has a key pair
  bool tls_active = false;
};

// What to do with a response.
struct ManageSieveStep {
  enum class Next {
    Read,      // send it, then read the next line
    StartTls,  // send it, forget what was read (ManageSieveParser::discard_input), then the handshake
    Close,     // send it, then close
  };
  std::string response;
  Next next = Next::Read;
  Duration delay{};  // wait this long before sending (a failed login)
};

class ManageSieveSession {
 public:
  static constexpr std::uint64_t kMaxLiteralBeforeLogin = 8192;  // enough for any SASL response

  ManageSieveSession(const Settings& settings, ManageSieveAuthenticator& authenticator,
                     ManageSieveConnection connection);

  // The capability listing and OK, sent on connecting and again after STARTTLS (RFC 5804 2.2).
  [[nodiscard]] std::string greeting() const;
  // The TLS handshake succeeded: the listing to send now.
  std::string tls_started();

  // One line from the parser; the session sets what the parser expects next (a SASL continuation, the
  // largest literal).
  ManageSieveStep handle(const ManageSieveLine& line, ManageSieveParser& parser);

  [[nodiscard]] bool authenticated() const { return store_.has_value(); }

 private:
  ManageSieveStep command(const ManageSieveLine& line, ManageSieveParser& parser);
  ManageSieveStep authenticate(const ManageSieveLine& line, ManageSieveParser& parser);
  ManageSieveStep sasl_response(const ManageSieveLine& line, ManageSieveParser& parser);
  ManageSieveStep finish_login(std::string_view name, std::string_view password, ManageSieveParser& parser);
  ManageSieveStep script_command(const ManageSieveLine& line);
  ManageSieveStep have_space(std::string_view name, std::uint64_t size) const;
  // Why storing `size` octets as `name` would break a quota, as a NO response ("" when it would not).
  std::string quota_problem(std::string_view name, std::uint64_t size) const;

  const Settings& settings_;
  ManageSieveAuthenticator& authenticator_;
  ManageSieveConnection connection_;
  unsigned failures_ = 0;
  std::string user_;
  std::optional<SieveScriptStore> store_;  // once logged in

  // A SASL exchange under way.
  enum class Sasl { None, PlainResponse, LoginName, LoginPassword };
  Sasl sasl_ = Sasl::None;
  std::string login_name_;  // LOGIN: the name, while the password is asked for
};

// A string as a ManageSieve response carries it: quoted when it can be, a literal otherwise.
std::string managesieve_string(std::string_view text);

}  // namespace letterbox
