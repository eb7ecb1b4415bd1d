// A throwaway slapd for the tests: mdb backend in a temporary directory, core/cosine/inetorgperson/nis
// and letterbox schemas, tests/fixtures/directory.ldif loaded, listening on a random loopback port.
// It can be stopped and started again (same port, same data), frozen (SIGSTOP) and thawed.
// Two of them replicate as OpenLDAP sites do (syncrepl): a Provider, and a consumer built with
// ConsumerOf{provider} that starts empty and copies everything, then every change, from it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace letterbox::test {

class Slapd {
 public:
  // RequireStartTls: a certificate for 127.0.0.1 signed by a throwaway CA (ca_file()), and every
  // operation refused until the connection is TLS-protected (slapd's "security tls=1").
  enum class Transport { Plain, RequireStartTls };

  static constexpr const char* kBase = "dc=example,dc=org";
  static constexpr const char* kBindDn = "cn=letterbox,ou=services,dc=example,dc=org";
  static constexpr const char* kBindPassword = "letterbox-secret";

  enum class Role { Standalone, Provider };
  struct ConsumerOf {
    const Slapd& provider;
  };

  explicit Slapd(Transport transport = Transport::Plain, Role role = Role::Standalone,
                 std::string address = "127.0.0.1");
  // A consumer on `address`: returns once it holds the provider's entries.
  Slapd(ConsumerOf consumer, std::string address);
  ~Slapd();
  Slapd(const Slapd&) = delete;
  Slapd& operator=(const Slapd&) = delete;

  [[nodiscard]] std::string uri() const { return "ldap://" + address_ + ":" + std::to_string(port_); }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }

  void start();
  void stop();
  void freeze();  // SIGSTOP: the port still accepts connections, nothing answers
  void thaw();

  // Adds entries (LDIF) as the directory's administrator: on a provider, the way an operator would.
  void add(const std::string& ldif) const;
  // Does a search for `filter` under kBase find an entry here?
  [[nodiscard]] bool has_entry(const std::string& filter) const;

  // The [ldap] settings that point at this server, with the letterbox schema's attributes.
  LdapSettings settings() const;
  // The same as letterbox.conf lines: "[ldap]", then `extra` lines (see ldap_section below).
  [[nodiscard]] std::string config_section(const std::string& extra = "") const;
  // The CA that signed the server's certificate (RequireStartTls only).
  std::filesystem::path ca_file() const { return dir_ / "ca.pem"; }
  // A file holding the bind password.
  std::filesystem::path password_file() const { return dir_ / "bind-password"; }

 private:
  pid_t pid() const;
  void configure(Transport transport, const std::string& replication);
  TempDir dir_;
  std::string address_;
  int port_ = 0;
};

// letterbox.conf's [ldap] section for these servers (uri lists them in order): the bind, the filter and
// the letterbox schema's mailbox, format, quota and status attributes of settings(), 1 s timeouts, then
// `extra` lines ("host_attribute = letterboxHost\n", cache settings, ...).
std::string ldap_section(const std::vector<const Slapd*>& servers, const std::string& extra = "");

// A loopback TCP port nothing listens on right now.
int free_port();

// Creates, with the openssl command, a throwaway CA in dir/<name>.pem (key <name>.key), and if `server`
// a certificate for 127.0.0.1 signed by it in dir/server.pem (key server.key).
void make_test_ca(const std::filesystem::path& dir, const std::string& name, bool server);

}  // namespace letterbox::test
