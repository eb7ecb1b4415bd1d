#include "lmtp_load.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "test_support.hpp"

namespace letterbox::bench {

namespace fs = std::filesystem;

namespace {

// Write and flush requests the disk under `dir` has completed so far (/sys/dev/block/M:N/stat), to show
// how many each delivery costs: on a virtual disk the flushes are what is rate-limited.
struct DiskOps {
  unsigned long long writes = 0;
  unsigned long long flushes = 0;
};
DiskOps disk_ops(const fs::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return {};
  std::ifstream in("/sys/dev/block/" + std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev)) +
                   "/stat");
  std::vector<unsigned long long> f;
  for (unsigned long long v = 0; in >> v;) f.push_back(v);
  DiskOps ops;
  if (f.size() > 4) ops.writes = f[4];
  if (f.size() > 15) ops.flushes = f[15];
  return ops;
}

std::vector<std::string> smtp_source(int port, const Stream& s) {
  std::vector<std::string> argv{
      "smtp-source", "-L",   "-s", std::to_string(s.sessions), "-m", std::to_string(s.messages),
      "-l",          "4096", "-f", "sender@client.test",       "-t", s.recipient};
  if (s.numbered) argv.insert(argv.end(), {"-N", "-r", "1"});
  if (!s.subject.empty()) argv.insert(argv.end(), {"-S", s.subject});
  if (s.recipients > 1) argv.insert(argv.end(), {"-r", std::to_string(s.recipients)});
  if (s.keep_session) argv.push_back("-d");
  argv.push_back("127.0.0.1:" + std::to_string(port));
  return argv;
}

std::string shell_quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

double drive(int port, const std::vector<Stream>& streams, const fs::path& root) {
  const auto before = disk_ops(root.parent_path());
  std::vector<std::string> argv;
  unsigned messages = 0;
  for (const auto& s : streams) messages += s.messages;
  if (streams.size() == 1) {
    argv = smtp_source(port, streams.front());
  } else {
    // Side by side through one shell, which fails if any of them did.
    std::string script;
    std::string waits = "true";
    for (std::size_t i = 0; i < streams.size(); ++i) {
      for (const auto& word : smtp_source(port, streams[i])) script += shell_quoted(word) + " ";
      script += "& p" + std::to_string(i) + "=$!\n";
      waits += " && wait $p" + std::to_string(i);
    }
    argv = {"sh", "-c", script + waits};
  }
  const auto start = std::chrono::steady_clock::now();
  const auto r = test::run(argv);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.exit_code != 0) {
    std::fprintf(stderr, "smtp-source failed: %s\n", r.output.c_str());
    return 0;
  }
  const auto after = disk_ops(root.parent_path());
  std::fprintf(stderr, "  port %d: %.0f msg/s, per message %.2f disk writes and %.2f flushes\n", port,
               messages / seconds, static_cast<double>(after.writes - before.writes) / messages,
               static_cast<double>(after.flushes - before.flushes) / messages);
  return messages / seconds;
}

std::size_t count_messages(const fs::path& root) {
  std::size_t n = 0;
  if (!fs::exists(root)) return 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const auto parent = e.path().parent_path().filename();
    if (parent == "new" || parent == "cur") {
      ++n;
    } else if (parent != "tmp") {
      const auto text = test::read_file(e.path());
      if (text.starts_with("From ")) ++n;
      for (std::size_t pos = text.find("\nFrom "); pos != std::string::npos; pos = text.find("\nFrom ", pos + 1)) ++n;
    }
  }
  return n;
}

void set_aside(const fs::path& root, const fs::path& trash) {
  const auto r = test::run_as_root({"sh", "-c",
                                    "[ -d '" + root.string() + "' ] || exit 0; mkdir -p '" + trash.string() +
                                        "' && find '" + root.string() + "' -mindepth 1 -maxdepth 1 -exec mv -t '" +
                                        trash.string() + "' {} + && sync"});
  if (r.exit_code != 0) std::fprintf(stderr, "cannot empty %s: %s\n", root.c_str(), r.output.c_str());
}

std::string letterbox_config(const test::Slapd& slapd, int port, const fs::path& mail_root, const fs::path& log,
                             const std::string& extra) {
  const auto ldap = slapd.settings();
  return "[server]\nlisten = inet:127.0.0.1:" + std::to_string(port) +
         "\nuser = nobody\ngroup = nogroup\n[ldap]\nuri = " + slapd.uri() + "\nbase = " + ldap.base +
         "\nbind_dn = " + ldap.bind_dn + "\nbind_password_file = " + ldap.bind_password_file +
         "\nfilter = " + ldap.filter +
         "\nmailbox_attribute = letterboxMailbox\nformat_attribute = letterboxFormat\n"
         "[delivery]\nmail_root = " +
         mail_root.string() + "\nmax_lock_waiters = 100\n[log]\nlevel = warn\ntarget = " + log.string() + "\n" + extra;
}

std::string policyd_config(const test::Slapd& slapd, int port, const fs::path& mail_root, const fs::path& log,
                           const std::string& policy) {
  const auto ldap = slapd.settings();
  return "[server]\nuser = nobody\ngroup = nogroup\n[ldap]\nuri = " + slapd.uri() + "\nbase = " + ldap.base +
         "\nbind_dn = " + ldap.bind_dn + "\nbind_password_file = " + ldap.bind_password_file +
         "\nfilter = " + ldap.filter +
         "\nmailbox_attribute = letterboxMailbox\nformat_attribute = letterboxFormat\n"
         "quota_attribute = letterboxQuota\nstatus_attribute = letterboxStatus\n"
         "[delivery]\nmail_root = " +
         mail_root.string() + "\n[policy]\nlisten = inet:127.0.0.1:" + std::to_string(port) + "\n" + policy +
         "[log]\ntarget = " + log.string() + "\n";
}

void add_numbered_users(const test::Slapd& slapd, int first, int last) {
  std::string ldif;
  for (int i = first; i <= last; ++i) {
    const std::string n = std::to_string(i);
    ldif += "dn: uid=user" + n + ",ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: user" + n +
            "\ncn: User " + n + "\nsn: Numbered\nmail: " + (i == 0 ? std::string() : n) + "u@example.org\n\n";
  }
  slapd.add(ldif);
}

}  // namespace letterbox::bench
