#include "dovecot.hpp"

#include <stdexcept>
#include <thread>

namespace letterbox::bench {

Dovecot::Dovecot(const test::Slapd& slapd, const std::filesystem::path& mail_root, int lmtp_port,
                 const std::string& mail_location, const std::string& extra_config) {
  auto made = test::run_as_root({"mktemp", "-d", "/tmp/letterbox-dovecot.XXXXXX"}).output;
  while (!made.empty() && (made.back() == '\n' || made.back() == ' ')) made.pop_back();
  dir_ = made;
  const auto d = dir_.string();
  const auto ldap = slapd.settings();
  std::string conf = "base_dir = " + d + "/run\nstate_dir = " + d +
                     "/state\nlog_path = /dev/stderr\nssl = no\nlisten = 127.0.0.1\n" +
                     "protocols = " + std::string(lmtp_port > 0 ? "lmtp" : "") + "\nmail_location = " + mail_location +
                     "\nfirst_valid_uid = 1\nmail_fsync = always\n"
                     "lmtp_save_to_detail_mailbox = no\nrecipient_delimiter = +\n"
                     "passdb {\n  driver = ldap\n  args = " +
                     d +
                     "/ldap.conf.ext\n}\n"
                     "userdb {\n  driver = ldap\n  args = " +
                     d +
                     "/ldap.conf.ext\n}\n"
                     "service auth {\n  unix_listener auth-userdb {\n    mode = 0666\n  }\n}\n"
                     "service stats {\n  unix_listener stats-writer {\n    mode = 0666\n  }\n}\n";
  if (lmtp_port > 0) {
    conf += "service lmtp {\n  inet_listener lmtp {\n    address = 127.0.0.1\n    port = " + std::to_string(lmtp_port) +
            "\n  }\n  process_min_avail = 2\n}\n";
  }
  conf += extra_config;
  const std::string ldap_conf = "uris = " + slapd.uri() + "\ndn = " + ldap.bind_dn +
                                "\ndnpass = " + std::string(test::Slapd::kBindPassword) + "\nbase = " + ldap.base +
                                "\nuser_filter = (&(objectClass=inetOrgPerson)(mail=%u))\n"
                                "pass_filter = (&(objectClass=inetOrgPerson)(mail=%u))\n"
                                "user_attrs = =home=" +
                                mail_root.string() +
                                "/%{ldap:uid}, =uid=65534, =gid=65534\n"
                                "iterate_filter = (objectClass=inetOrgPerson)\n";
  const std::string script = "set -e\nchmod 755 " + d + "\nmkdir -p " + d + "/run " + d + "/state\ncat > " + d +
                             "/dovecot.conf <<'CONF'\n" + conf + "CONF\ncat > " + d + "/ldap.conf.ext <<'CONF'\n" +
                             ldap_conf + "CONF\nchmod 644 " + d + "/dovecot.conf\nchmod 600 " + d + "/ldap.conf.ext\n" +
                             // The daemon keeps inherited descriptors open: give it none of ours.
                             "dovecot -c " + d + "/dovecot.conf </dev/null >" + d + "/start.log 2>&1\n";
  const auto r = test::run_as_root({"sh", "-c", script});
  if (r.exit_code != 0) throw std::runtime_error("dovecot did not start: " + r.output);
  for (int i = 0; i < 100 && !std::filesystem::exists(dir_ / "run" / "auth-userdb"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Dovecot::~Dovecot() {
  test::run_as_root({"doveadm", "-c", config().string(), "stop"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  test::run_as_root({"rm", "-rf", dir_.string()});
}

}  // namespace letterbox::bench
