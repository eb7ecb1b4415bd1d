// The fixture of the end-to-end tests where a real Postfix delivers to letterbox-lmtpd
// (lmtp_postfix_test.cpp, sieve_postfix_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "postfix.hpp"
#include "slapd.hpp"
#include "test_support.hpp"

namespace letterbox::test {

// letterbox-lmtpd with the test slapd and a Maildir root under a temporary directory, as the user nobody.
class LmtpdForPostfix : public ::testing::Test {
 protected:
  // `listen`: [server] listen; the UNIX socket is among them, and its appearing says the server is up.
  void start_lmtpd(const std::string& listen, const std::string& server_extra = "",
                   const std::string& sections_extra = "") {
    std::filesystem::create_directories(mail_root());
    // Postfix's lmtp client runs as the postfix user: it must reach the socket.
    std::filesystem::permissions(tmp_.path(), std::filesystem::perms::all);
    write_file(tmp_ / "letterbox.conf",
               "[server]\nlisten = " + listen +
                   "\nsocket_mode = 0666\nuser = nobody\ngroup = nogroup\nhostname = lmtp.test\n" + server_extra +
                   slapd_.config_section("cache_ttl = 1ms\n") + "[delivery]\nmail_root = " + mail_root().string() +
                   "\nlock_timeout = 1s\n[log]\ntarget = " + lmtpd_log().string() + "\n" + sections_extra);
    lmtpd_ = std::make_unique<Background>(
        std::vector<std::string>{LETTERBOX_LMTPD_PATH, "-c", (tmp_ / "letterbox.conf").string(), "--foreground"});
    ASSERT_TRUE(wait_for_file(socket())) << read_file(lmtpd_log());
  }

  std::filesystem::path mail_root() const { return tmp_ / "mail"; }
  std::filesystem::path socket() const { return tmp_ / "lmtp.sock"; }
  std::filesystem::path lmtpd_log() const { return tmp_ / "lmtpd.log"; }
  std::filesystem::path alice() const { return mail_root() / "example.org" / "alice" / "Maildir"; }

  Slapd slapd_;
  TempDir tmp_;
  std::unique_ptr<Background> lmtpd_;
  std::unique_ptr<Postfix> postfix_;
};

}  // namespace letterbox::test
