#include "letterbox/config/config_check.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sysexits.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string_view>
#include <system_error>
#include <utility>

#include "letterbox/config/privileges.hpp"
#include "letterbox/util/unique_fd.hpp"
#include "sieve_config_check.hpp"

namespace letterbox {
namespace {

using Severity = ConfigProblem::Severity;

class Findings {
 public:
  explicit Findings(const Settings& settings) : settings_(settings) {}

  void error(std::string_view section, std::string_view key, const std::string& what) {
    add(Severity::Error, section, key, what);
  }
  void warning(std::string_view section, std::string_view key, const std::string& what) {
    add(Severity::Warning, section, key, what);
  }
  void add(Severity severity, std::string_view section, std::string_view key, const std::string& what) {
    problems_.push_back({severity, settings_.origin.describe(section, key) + ": " + what});
  }
  std::vector<ConfigProblem>& problems() { return problems_; }

 private:
  const Settings& settings_;
  std::vector<ConfigProblem> problems_;
};

// STARTTLS half-configured would stop letterbox-lmtpd at start (daemon/server_tls.hpp refuses it).
void check_tls(const ServerSettings& server, Findings& found) {
  const bool cert = !server.tls_cert_file.empty();
  const bool key = !server.tls_key_file.empty();
  if (cert && !key) found.error("server", "tls_cert_file", "set, but tls_key_file is not: they go together");
  if (key && !cert) found.error("server", "tls_key_file", "set, but tls_cert_file is not: they go together");
  if (server.tls_required && !cert) {
    found.error("server", "tls_required", "yes, but tls_cert_file is not set: no TCP client could ever deliver");
  }
  // Whoever reads the key can pose as this host to the MTA, and read what it sends.
  struct stat st {};
  if (key && ::stat(server.tls_key_file.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0) {
    found.warning("server", "tls_key_file", server.tls_key_file + " is readable by any user");
  }
}

// The checks that need no particular user.
void check_as_anyone(const Settings& settings, ConfigCheckScope scope, Findings& found) {
  if (settings.ldap.base.empty()) {
    found.error("ldap", "base",
                "empty, but the filter " + settings.ldap.filter +
                    " needs a search base: every lookup would fail and every delivery defer");
  }
  const auto check_listeners = [&found](std::string_view section, const std::vector<std::string>& listen) {
    for (const auto& spec : listen) {
      if (!spec.starts_with("unix:")) continue;
      const std::filesystem::path path = spec.substr(5);
      struct stat st {};
      if (::stat(path.parent_path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        found.error(section, "listen",
                    "the directory of " + path.string() + " does not exist (with systemd, RuntimeDirectory= makes it)");
      } else if (::lstat(path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode)) {
        found.error(section, "listen", path.string() + " exists and is not a socket");
      }
    }
  };
  if (scope.lmtpd) check_listeners("server", settings.server.listen);
  if (scope.policyd) check_listeners("policy", settings.policy.listen);
  if (scope.lmtpd && settings.server.proxy && settings.ldap.host_attribute.empty()) {
    found.warning("server", "proxy", "yes, but [ldap] host_attribute is empty: every mailbox is here, none is relayed");
  }
  if (scope.lmtpd) check_tls(settings.server, found);
  for (const auto& p : sieve_config_check::check_periods(settings.sieve)) found.error("sieve", p.key, p.what);
  if (::geteuid() == 0 && settings.server.user.empty()) {
    found.error("server", "user", "empty, and this runs as root: Letterbox refuses to deliver as root");
  }
  // Whoever can write these can point deliveries anywhere or log in to the directory as us.
  struct stat st {};
  if (::stat(settings.origin.file.c_str(), &st) == 0 && (st.st_mode & S_IWOTH) != 0) {
    found.problems().push_back(
        {Severity::Warning, settings.origin.file + ": the configuration file is writable by any user"});
  }
  const auto& password_file = settings.ldap.bind_password_file;
  if (!password_file.empty() && ::stat(password_file.c_str(), &st) == 0) {
    if ((st.st_mode & S_IWOTH) != 0) {
      found.warning("ldap", "bind_password_file", password_file + " is writable by any user");
    }
    if ((st.st_mode & S_IROTH) != 0) {
      found.warning("ldap", "bind_password_file", password_file + " is readable by any user");
    }
  }
}

std::string user_label() {
  const passwd* pw = ::getpwuid(::geteuid());
  const std::string uid = std::to_string(::geteuid());
  return pw != nullptr ? "user " + std::string(pw->pw_name) + " (uid " + uid + ")" : "uid " + uid;
}

// Would `path` open for `mode` (R_OK, or W_OK|X_OK for a directory to create files in)? "" if so.
std::string access_problem(const std::string& path, int mode, bool want_directory) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return path + ": " + std::strerror(errno);
  if (want_directory && !S_ISDIR(st.st_mode)) return path + " is not a directory";
  if (!want_directory && S_ISDIR(st.st_mode)) return path + " is a directory";
  if (::access(path.c_str(), mode) != 0) {
    const char* what = mode == R_OK ? "readable" : "writable";
    return path + " is not " + what + " by " + user_label() + ": " + std::strerror(errno);
  }
  return "";
}

// The checks made as the delivery user: the files it will open.
void check_as_delivery_user(const Settings& settings, ConfigCheckScope scope, Findings& found) {
  if (auto why = access_problem(settings.origin.file, R_OK, false); !why.empty()) {
    found.problems().push_back({Severity::Error, settings.origin.file +
                                                     ": the delivery user must read the configuration (letterbox-lda "
                                                     "and reloads run as that user): " +
                                                     why});
  }
  if (auto why = access_problem(settings.delivery.mail_root, W_OK | X_OK, true); !why.empty()) {
    found.error("delivery", "mail_root", why);
  }
  if (!settings.ldap.bind_password_file.empty()) {
    if (auto why = access_problem(settings.ldap.bind_password_file, R_OK, false); !why.empty()) {
      found.error("ldap", "bind_password_file", why);
    }
  }
  if (!settings.ldap.tls_ca_file.empty()) {
    if (auto why = access_problem(settings.ldap.tls_ca_file, R_OK, false); !why.empty()) {
      found.error("ldap", "tls_ca_file", why);
    }
  }
  if (scope.lmtpd) {
    // letterbox-lmtpd loads them as root at start, but again as this user at every reload.
    for (const auto& [key, path] : {std::pair{"tls_cert_file", &settings.server.tls_cert_file},
                                    std::pair{"tls_key_file", &settings.server.tls_key_file}}) {
      if (path->empty()) continue;
      if (auto why = access_problem(*path, R_OK, false); !why.empty()) {
        found.error("server", key, why + " (a reload, which runs as this user, would fail)");
      }
    }
  }
  const auto& target = settings.log.target;
  if (!target.empty() && target.front() == '/') {
    struct stat st {};
    const bool exists = ::stat(target.c_str(), &st) == 0;
    // A missing file, and missing directories above it, are created on first use: what matters is the
    // nearest directory that exists.
    std::filesystem::path dir = std::filesystem::path(target).parent_path();
    while (!exists && dir.has_relative_path() && ::stat(dir.c_str(), &st) != 0) dir = dir.parent_path();
    const auto why = exists ? access_problem(target, W_OK, false) : access_problem(dir.string(), W_OK | X_OK, true);
    if (!why.empty()) found.error("log", "target", why + " (the log would go to syslog instead)");
  }
  if (scope.policyd && settings.policy.greylist) {
    // A directory the delivery user cannot write in would quietly turn greylisting off.
    const auto dir = std::filesystem::path(settings.policy.greylist_db).parent_path().string();
    if (auto why = access_problem(dir, W_OK | X_OK, true); !why.empty()) {
      found.error("policy", "greylist_db", why + " (greylisting would be off)");
    }
  }
  // Delivery reads them as this user.
  for (const auto& p : sieve_config_check::check_scripts(settings.sieve)) found.error("sieve", p.key, p.what);
  const char* tmpdir = std::getenv("TMPDIR");
  const std::string spool_dir = tmpdir != nullptr && *tmpdir == '/' ? tmpdir : "/tmp";
  if (auto why = access_problem(spool_dir, W_OK | X_OK, true); !why.empty()) {
    found.problems().push_back({Severity::Error, "the spool directory ($TMPDIR or /tmp): " + why});
  }
}

// Runs check_as_delivery_user in a child that has become the delivery user; its findings come back as
// lines "E text" / "W text" through a pipe.
void check_in_child(const Settings& settings, ConfigCheckScope scope, Findings& found) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    found.problems().push_back({Severity::Error, std::string("cannot run the checks: ") + std::strerror(errno)});
    return;
  }
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  const pid_t pid = ::fork();
  if (pid < 0) {
    found.problems().push_back({Severity::Error, std::string("cannot run the checks: ") + std::strerror(errno)});
    return;
  }
  if (pid == 0) {
    read_end.reset();
    std::string out;
    try {
      drop_privileges(settings.server);
      Findings child(settings);
      check_as_delivery_user(settings, scope, child);
      for (const auto& p : child.problems()) out += (p.severity == Severity::Error ? "E " : "W ") + p.text + "\n";
    } catch (const std::exception& e) {
      out = "E " + settings.origin.describe("server", "user") + ": " + e.what() + "\n";
    }
    std::string_view rest = out;
    while (!rest.empty()) {
      const ssize_t n = ::write(write_end.get(), rest.data(), rest.size());
      if (n <= 0) break;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    ::_exit(0);
  }
  write_end.reset();
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string_view lines = text;
  while (!lines.empty()) {
    const auto nl = lines.find('\n');
    const auto line = lines.substr(0, nl);
    lines.remove_prefix(nl == std::string_view::npos ? lines.size() : nl + 1);
    if (line.size() < 2) continue;
    found.problems().push_back({line[0] == 'E' ? Severity::Error : Severity::Warning, std::string(line.substr(2))});
  }
}

}  // namespace

std::vector<ConfigProblem> check_config(const Settings& settings, ConfigCheckScope scope) {
  Findings found(settings);
  check_as_anyone(settings, scope, found);
  if (::geteuid() == 0 && settings.server.user.empty()) return std::move(found.problems());
  check_in_child(settings, scope, found);
  return std::move(found.problems());
}

bool has_errors(const std::vector<ConfigProblem>& problems) {
  for (const auto& p : problems) {
    if (p.severity == ConfigProblem::Severity::Error) return true;
  }
  return false;
}

std::string format_problem(const ConfigProblem& problem) {
  return (problem.severity == ConfigProblem::Severity::Error ? "error: " : "warning: ") + problem.text;
}

int load_config_or_report(const std::string& config_file, std::string_view program, Settings& settings) {
  try {
    settings = load_config(config_file);
    return EX_OK;
  } catch (const ConfigError& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return EX_CONFIG;
  } catch (const std::system_error& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return EX_OSERR;
  }
}

int run_check_config(const std::string& config_file, std::string_view program, ConfigCheckScope scope) {
  Settings settings;
  if (const int code = load_config_or_report(config_file, program, settings); code != EX_OK) return code;
  const auto problems = check_config(settings, scope);
  for (const auto& p : problems) std::cerr << program << ": " << format_problem(p) << "\n";
  if (has_errors(problems)) return EX_CONFIG;
  std::cout << format_effective_config(settings);
  return EX_OK;
}

}  // namespace letterbox
