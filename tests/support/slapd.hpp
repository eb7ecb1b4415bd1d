// A throwaway slapd for the tests: mdb backend in a temporary directory, core/cosine/inetorgperson/nis
// and letterbox schemas, tests/fixtures/directory.ldif loaded, listening on a random loopback port.
// It can be stopped and started again (same port, same data), frozen (SIGSTOP) and thawed.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

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

  explicit Slapd(Transport transport = Transport::Plain);
  ~Slapd();
  Slapd(const Slapd&) = delete;
  Slapd& operator=(const Slapd&) = delete;

  [[nodiscard]] std::string uri() const { return "ldap://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }

  void start();
  void stop();
  void freeze();  // SIGSTOP: the port still accepts connections, nothing answers
  void thaw();

  // The [ldap] settings that point at this server, with the letterbox schema's attributes.
  LdapSettings settings() const;
  // The CA that signed the server's certificate (RequireStartTls only).
  std::filesystem::path ca_file() const { return dir_ / "ca.pem"; }
  // A file holding the bind password.
  std::filesystem::path password_file() const { return dir_ / "bind-password"; }

 private:
  pid_t pid() const;
  TempDir dir_;
  int port_ = 0;
};

// A loopback TCP port nothing listens on right now.
int free_port();

// Creates, with the openssl command, a throwaway CA in dir/<name>.pem (key <name>.key), and if `server`
// a certificate for 127.0.0.1 signed by it in dir/server.pem (key server.key).
void make_test_ca(const std::filesystem::path& dir, const std::string& name, bool server);

}  // namespace letterbox::test
