// A throwaway Dovecot for the benchmarks, as the peer: its own base_dir/state_dir/log under a temporary
// directory, an LDAP userdb on the tests' slapd (the same directory Letterbox uses), Maildir under
// `mail_root`/<uid>, deliveries as nobody, and fsync on every delivery (mail_fsync = always) like ours.
// `lmtp_port` > 0 also starts its LMTP server on that loopback port; `extra_config` is appended to
// dovecot.conf (a plugin's settings, a protocol block). Needs root to start.
#pragma once

#include <filesystem>
#include <string>

#include "slapd.hpp"

namespace letterbox::bench {

class Dovecot {
 public:
  Dovecot(const test::Slapd& slapd, const std::filesystem::path& mail_root, int lmtp_port = 0,
          const std::string& mail_location = "maildir:~/Maildir", const std::string& extra_config = "");
  ~Dovecot();
  Dovecot(const Dovecot&) = delete;
  Dovecot& operator=(const Dovecot&) = delete;
  [[nodiscard]] std::filesystem::path config() const { return dir_ / "dovecot.conf"; }

 private:
  std::filesystem::path dir_;
};

}  // namespace letterbox::bench
