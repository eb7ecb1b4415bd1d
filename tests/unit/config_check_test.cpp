// check_config() on the STARTTLS keys: a half-configured pair, tls_required without a certificate, a key
// file others can read or the delivery user cannot. The files need not hold a certificate: only their
// presence and modes are checked here (letterbox-lmtpd loads them at start, tests/integration/lmtpd_test).
#include "letterbox/config/config_check.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.hpp"

using namespace letterbox;
using letterbox::test::TempDir;
using letterbox::test::write_file;

namespace {

class ConfigCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(tmp_ / "mail");
    write_file(cert(), "certificate\n");
    write_file(key(), "key\n");
    std::filesystem::permissions(key(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

  std::string cert() const { return (tmp_ / "lmtp.crt").string(); }
  std::string key() const { return (tmp_ / "lmtp.key").string(); }
  std::string config() const { return (tmp_ / "letterbox.conf").string(); }

  // The problems check_config() finds with these [server] lines that concern TLS, formatted.
  std::vector<std::string> tls_problems(const std::string& server_lines) {
    write_file(config(), "[server]\nlisten = inet:127.0.0.1:24\n" + server_lines +
                             "[ldap]\nbase = dc=example,dc=org\n[delivery]\nmail_root = " + (tmp_ / "mail").string() +
                             "\n");
    std::vector<std::string> out;
    for (const auto& p : check_config(load_config(config()), {.lmtpd = true})) {
      if (p.text.find("tls_") != std::string::npos) out.push_back(format_problem(p));
    }
    return out;
  }

  TempDir tmp_;
};

}  // namespace

TEST_F(ConfigCheck, AKeyPairWithBothHalvesPasses) {
  EXPECT_EQ(tls_problems("tls_cert_file = " + cert() + "\ntls_key_file = " + key() + "\ntls_required = yes\n"),
            std::vector<std::string>{});
}

TEST_F(ConfigCheck, TheHalvesOfAKeyPairGoTogether) {
  EXPECT_EQ(tls_problems("tls_cert_file = " + cert() + "\n"),
            std::vector<std::string>{"error: " + config() +
                                     ":3: key 'tls_cert_file' in [server]: set, but tls_key_file is not: they go "
                                     "together"});
  EXPECT_EQ(tls_problems("tls_key_file = " + key() + "\n"),
            std::vector<std::string>{"error: " + config() +
                                     ":3: key 'tls_key_file' in [server]: set, but tls_cert_file is not: they go "
                                     "together"});
}

TEST_F(ConfigCheck, TlsRequiredNeedsACertificate) {
  EXPECT_EQ(tls_problems("tls_required = yes\n"),
            std::vector<std::string>{"error: " + config() +
                                     ":3: key 'tls_required' in [server]: yes, but tls_cert_file is not set: no TCP "
                                     "client could ever deliver"});
}

TEST_F(ConfigCheck, AKeyOthersCanReadIsAWarning) {
  std::filesystem::permissions(key(), std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  EXPECT_EQ(tls_problems("tls_cert_file = " + cert() + "\ntls_key_file = " + key() + "\n"),
            std::vector<std::string>{"warning: " + config() + ":4: key 'tls_key_file' in [server]: " + key() +
                                     " is readable by any user"});
}

TEST_F(ConfigCheck, TheDeliveryUserMustReadTheKeyPair) {
  const auto missing = (tmp_ / "missing.crt").string();
  EXPECT_EQ(tls_problems("tls_cert_file = " + missing + "\ntls_key_file = " + key() + "\n"),
            std::vector<std::string>{"error: " + config() + ":3: key 'tls_cert_file' in [server]: " + missing +
                                     ": No such file or directory (a reload, which runs as this user, would fail)"});
  std::filesystem::permissions(key(), std::filesystem::perms::none);
  const auto problems = tls_problems("tls_cert_file = " + cert() + "\ntls_key_file = " + key() + "\n");
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_TRUE(problems[0].starts_with("error: " + config() + ":4: key 'tls_key_file' in [server]: " + key() +
                                      " is not readable by "))
      << problems[0];
  EXPECT_NE(problems[0].find("(a reload, which runs as this user, would fail)"), std::string::npos) << problems[0];
}
