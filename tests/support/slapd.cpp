#include "slapd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>

namespace letterbox::test {
int free_port() {
  // Not bind(0): parallel test processes would be handed the same ephemeral ports one after the other
  // while neither is listening yet. Each process walks its own stretch of 10000-29999 (below the
  // kernel's ephemeral range) and takes the first port it can bind.
  static int next = 10000 + static_cast<int>((static_cast<unsigned>(getpid()) * 2654435761U) % 20000U);
  for (int attempt = 0; attempt < 20000; ++attempt) {
    const int port = next;
    next = next >= 29999 ? 10000 : next + 1;
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (free && !port_accepts(port)) return port;
  }
  throw std::runtime_error("cannot find a free port");
}

void make_test_ca(const std::filesystem::path& dir, const std::string& name, bool server) {
  const auto d = dir.string() + "/";
  std::string script = "set -e\ncd '" + d +
                       "'\n"
                       "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                       "-subj '/CN=Letterbox test CA " +
                       name + "' -keyout " + name + ".key -out " + name + ".pem\n";
  if (server) {
    script +=
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 "
        "-keyout server.key -out server.csr\n"
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext\n"
        "openssl x509 -req -in server.csr -CA " +
        name + ".pem -CAkey " + name + ".key -CAcreateserial -days 2 -extfile server.ext -out server.pem\n";
  }
  const auto r = run({"sh", "-c", script});
  if (r.exit_code != 0) throw std::runtime_error("openssl failed: " + r.output);
}

namespace {
constexpr const char* kAdminDn = "cn=admin,dc=example,dc=org";
constexpr const char* kAdminPassword = "admin-secret";
}  // namespace

Slapd::Slapd(Transport transport, Role role, std::string address) : address_(std::move(address)) {
  // syncprov keeps the change state that consumers ask for; it goes after the database it serves.
  configure(transport, role == Role::Provider ? "moduleload syncprov\noverlay syncprov\n" : "");
  const auto load =
      run({"slapadd", "-q", "-w", "-f", (dir_ / "slapd.conf").string(), "-l", fixture("directory.ldif").string()});
  if (load.exit_code != 0) throw std::runtime_error("slapadd failed: " + load.output);
  port_ = free_port();
  start();
}

Slapd::Slapd(ConsumerOf consumer, std::string address) : address_(std::move(address)) {
  // refreshAndPersist: the consumer keeps a search open and applies each change as it comes; when the
  // provider goes away it retries every second for ever ("1 +") and answers from its copy meanwhile.
  configure(Transport::Plain, "syncrepl rid=001\n  provider=" + consumer.provider.uri() +
                                  "\n  type=refreshAndPersist\n  retry=\"1 +\"\n  searchbase=\"" + kBase +
                                  "\"\n  bindmethod=simple\n  binddn=\"" + kAdminDn +
                                  "\"\n  credentials=" + kAdminPassword + "\n");
  port_ = free_port();
  start();
  if (!wait_until([this] { return has_entry("(uid=alice)"); }, std::chrono::seconds(15))) {
    throw std::runtime_error("the consumer " + uri() + " did not copy the provider " + consumer.provider.uri());
  }
}

void Slapd::configure(Transport transport, const std::string& replication) {
  const auto d = dir_.path();
  std::filesystem::create_directories(d / "db");
  write_file(password_file(), std::string(kBindPassword) + "\n");
  std::string conf;
  for (const char* schema : {"core", "cosine", "inetorgperson", "nis"}) {
    conf += "include /etc/ldap/schema/" + std::string(schema) + ".schema\n";
  }
  if (transport == Transport::RequireStartTls) {
    make_test_ca(d, "ca", true);
    conf += "TLSCACertificateFile " + (d / "ca.pem").string() + "\n";
    conf += "TLSCertificateFile " + (d / "server.pem").string() + "\n";
    conf += "TLSCertificateKeyFile " + (d / "server.key").string() + "\n";
    conf += "security tls=1\n";
  }
  conf += "include " + (std::filesystem::path(LETTERBOX_SOURCE_DIR) / "etc" / "letterbox.schema").string() + "\n";
  conf += "pidfile " + (d / "slapd.pid").string() + "\n";
  conf += "argsfile " + (d / "slapd.args").string() + "\n";
  conf += "modulepath /usr/lib/ldap\nmoduleload back_mdb\n";
  conf += "sizelimit 500\n";
  conf += "database mdb\nmaxsize 67108864\n";
  conf += "suffix \"" + std::string(kBase) + "\"\n";
  conf += "rootdn \"" + std::string(kAdminDn) + "\"\nrootpw " + kAdminPassword + "\n";
  conf += "directory " + (d / "db").string() + "\n";
  conf += "index objectClass,mail,letterboxAlias eq\n";
  conf += "index entryCSN,entryUUID eq\n";
  conf += "access to attrs=userPassword by anonymous auth by * none\n";
  conf += "access to * by * read\n";
  conf += replication;
  write_file(d / "slapd.conf", conf);
}

void Slapd::add(const std::string& ldif) const {
  const auto r = run({"ldapadd", "-x", "-H", uri(), "-D", kAdminDn, "-w", kAdminPassword}, ldif);
  if (r.exit_code != 0) throw std::runtime_error("ldapadd on " + uri() + " failed: " + r.output);
}

bool Slapd::has_entry(const std::string& filter) const {
  const auto r = run({"ldapsearch", "-x", "-LLL", "-H", uri(), "-b", kBase, filter, "1.1"});
  return r.exit_code == 0 && r.output.find("dn: ") != std::string::npos;
}

Slapd::~Slapd() {
  try {
    thaw();
    stop();
  } catch (...) {
  }
}

pid_t Slapd::pid() const {
  std::ifstream in(dir_ / "slapd.pid");
  pid_t pid = -1;
  in >> pid;
  return pid;
}

void Slapd::start() {
  std::filesystem::remove(dir_ / "slapd.pid");
  const auto r = run({"slapd", "-f", (dir_ / "slapd.conf").string(), "-h", uri() + "/"});
  if (r.exit_code != 0) throw std::runtime_error("slapd did not start: " + r.output);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (port_accepts(port_, address_) && pid() > 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("slapd did not listen on port " + std::to_string(port_));
}

void Slapd::stop() {
  const pid_t p = pid();
  if (p <= 0) return;
  // Killed, not asked: a clean shutdown takes slapd 1.6 s here, which every test paid in its teardown,
  // and the throwaway directory (back_mdb, crash-safe) needs none to start again.
  kill(p, SIGKILL);
  // A zombie is gone too: it waits for whoever reaps orphans here (about a second on this machine).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (process_running(p) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  while (port_accepts(port_, address_) && std::chrono::steady_clock::now() < deadline + std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::filesystem::remove(dir_ / "slapd.pid");
}

void Slapd::freeze() {
  const pid_t p = pid();
  if (p <= 0) return;
  kill(p, SIGSTOP);
  // kill() returns before every thread has stopped: a request could still be answered meanwhile (a
  // test saw it). Frozen means every task of the process shows state T.
  const auto all_stopped = [p] {
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(p) + "/task")) {
      std::ifstream in(task.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const auto close = stat.rfind(')');
      if (close == std::string::npos || close + 2 >= stat.size() || (stat[close + 2] != 'T' && stat[close + 2] != 't'))
        return false;
    }
    return true;
  };
  wait_until(all_stopped, std::chrono::seconds(2));
}

void Slapd::thaw() {
  if (const pid_t p = pid(); p > 0) kill(p, SIGCONT);
}

std::string ldap_section(const std::vector<const Slapd*>& servers, const std::string& extra) {
  const auto ldap = servers.front()->settings();
  std::string uris;
  for (const auto* s : servers) uris += (uris.empty() ? "" : " ") + s->uri();
  return "[ldap]\nuri = " + uris + "\nbase = " + ldap.base + "\nbind_dn = " + ldap.bind_dn +
         "\nbind_password_file = " + ldap.bind_password_file + "\nfilter = " + ldap.filter +
         "\nmailbox_attribute = " + ldap.mailbox_attribute + "\nformat_attribute = " + ldap.format_attribute +
         "\nquota_attribute = " + ldap.quota_attribute + "\nstatus_attribute = " + ldap.status_attribute +
         "\nnetwork_timeout = 1s\ntimeout = 1s\n" + extra;
}

std::string Slapd::config_section(const std::string& extra) const {
  return ldap_section({this}, extra);
}

LdapSettings Slapd::settings() const {
  LdapSettings s = default_settings().ldap;
  s.uri = {uri()};
  s.base = kBase;
  s.bind_dn = kBindDn;
  s.bind_password_file = password_file().string();
  s.filter = "(&(objectClass=inetOrgPerson)(|(mail=%s)(letterboxAlias=%s)))";
  s.mailbox_attribute = "letterboxMailbox";
  s.format_attribute = "letterboxFormat";
  s.quota_attribute = "letterboxQuota";
  s.status_attribute = "letterboxStatus";
  s.network_timeout = std::chrono::seconds(1);
  s.timeout = std::chrono::seconds(1);
  return s;
}

}  // namespace letterbox::test
