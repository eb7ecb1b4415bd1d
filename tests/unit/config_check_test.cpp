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

namespace {

// check_config() on [sieve]: the vacation periods in order, the administrator's scripts readable and
// compiling, each error named at the key's line and the script's line and column.
class SieveConfigCheck : public ::testing::Test {
 protected:
  SieveConfigCheck() { std::filesystem::create_directories(tmp_ / "mail"); }

  std::string config() const { return (tmp_ / "letterbox.conf").string(); }
  std::string script(const std::string& name, const std::string& text) const {
    write_file(tmp_ / name, text);
    return (tmp_ / name).string();
  }

  // The problems with [sieve] found with these lines in it (line 5 onwards of the file), formatted.
  std::vector<std::string> sieve_problems(const std::string& sieve_lines) {
    write_file(config(), "[ldap]\nbase = dc=example,dc=org\n[delivery]\nmail_root = " + (tmp_ / "mail").string() +
                             "\n[sieve]\n" + sieve_lines);
    std::vector<std::string> out;
    for (const auto& p : check_config(load_config(config()), {})) {
      if (p.text.find("[sieve]") != std::string::npos) out.push_back(format_problem(p));
    }
    return out;
  }

  TempDir tmp_;
};

}  // namespace

TEST_F(SieveConfigCheck, TheDefaultsPass) {
  EXPECT_EQ(sieve_problems(""), std::vector<std::string>{});
}

TEST_F(SieveConfigCheck, VacationPeriodsMustBeInOrder) {
  EXPECT_EQ(sieve_problems("vacation_min_period = 2d\nvacation_default_period = 2d\nvacation_max_period = 2d\n"),
            std::vector<std::string>{});
  EXPECT_EQ(sieve_problems("vacation_min_period = 10d\n"),
            std::vector<std::string>{"error: " + config() +
                                     ":6: key 'vacation_min_period' in [sieve]: 10d is longer than "
                                     "vacation_default_period (7d): expected vacation_min_period <= "
                                     "vacation_default_period <= vacation_max_period"});
  EXPECT_EQ(sieve_problems("vacation_max_period = 3d\n"),
            std::vector<std::string>{"error: " + config() +
                                     ":6: key 'vacation_max_period' in [sieve]: 3d is shorter than "
                                     "vacation_default_period (7d): expected vacation_min_period <= "
                                     "vacation_default_period <= vacation_max_period"});
}

TEST_F(SieveConfigCheck, AdministratorsScriptsMustExistAndCompile) {
  const auto good = script("good.sieve", "require \"fileinto\";\nif exists \"X-Spam\" { fileinto \"Junk\"; }\n");
  const auto bad =
      script("bad.sieve", "require \"fileinto\";\nif exists \"X-Spam\" {\n  filinto \"Junk\";\n}\nredirekt \"a@b\";\n");
  const auto missing = (tmp_ / "missing.sieve").string();
  EXPECT_EQ(sieve_problems("before = " + good + "\nafter = " + good + "\n"), std::vector<std::string>{});
  const auto problems = sieve_problems("before = " + good + " " + missing + "\nafter = " + bad + "\n");
  ASSERT_EQ(problems.size(), 3U) << ::testing::PrintToString(problems);
  EXPECT_EQ(problems[0],
            "error: " + config() + ":6: key 'before' in [sieve]: " + missing + ": No such file or directory");
  EXPECT_EQ(problems[1], "error: " + config() + ":7: key 'after' in [sieve]: " + bad +
                             ":3:3: unknown command \"filinto\" (did you mean \"fileinto\"?)");
  EXPECT_EQ(problems[2], "error: " + config() + ":7: key 'after' in [sieve]: " + bad +
                             ":5:1: unknown command \"redirekt\" (did you mean \"redirect\"?)");
}

TEST_F(SieveConfigCheck, AScriptOverMaxScriptSizeIsAnError) {
  const auto big = script("big.sieve", "# " + std::string(2000, 'x') + "\nkeep;\n");
  EXPECT_EQ(sieve_problems("max_script_size = 1K\nbefore = " + big + "\n"),
            std::vector<std::string>{"error: " + config() + ":7: key 'before' in [sieve]: " + big +
                                     ":1:1: script too large (2009 bytes, at most 1024)"});
}
