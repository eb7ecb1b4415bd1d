// ManageSieveSession: each command of RFC 5804 with its success and failure responses, the SASL
// exchanges, the rules on plaintext logins and failed logins, and the quotas, on real script files
// behind a fake directory.
#include "managesieve_session.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>

#include "letterbox/config/config.hpp"
#include "test_support.hpp"

using namespace letterbox;
using namespace std::chrono_literals;
using letterbox::test::TempDir;

namespace {

// alice's password is "secret"; carol is disabled; "down" finds the directory unreachable.
class FakeDirectory : public ManageSieveAuthenticator {
 public:
  Login login(std::string_view name, std::string_view password) override {
    ++logins;
    if (name == "down") return {LoginResult::Unavailable, {}, {}, "ldap://ldap.test: Can't contact LDAP server"};
    if (name == "carol@example.org" && password == "secret")
      return {LoginResult::Disabled, "carol@example.org", {}, {}};
    if (name == "alice@example.org" && password == "secret") {
      return {LoginResult::Accepted, "alice@example.org", "example.org/alice/sieve", {}};
    }
    return {LoginResult::Refused, {}, {}, "wrong password"};
  }
  int logins = 0;
};

// base64 of "\0alice@example.org\0secret" and friends.
const std::string kAlicePlain = "AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==";
const std::string kAliceWrong = "AGFsaWNlQGV4YW1wbGUub3JnAHdyb25n";  // password "wrong"

class ManageSieveSessionTest : public ::testing::Test {
 protected:
  ManageSieveSessionTest() {
    std::filesystem::create_directories(tmp_ / "mail");
    settings_.delivery.mail_root = (tmp_ / "mail").string();
    settings_.managesieve.auth_failure_delay = 2s;
  }

  void connect(bool loopback, bool tls_available = true) {
    session_.emplace(settings_, directory_,
                     ManageSieveConnection{"192.0.2.7", loopback, nullptr, tls_available, false});
  }

  // Sends `bytes`; returns every response, and the last step's delay and next move.
  std::string say(const std::string& bytes) {
    parser_.feed(bytes);
    std::string out;
    while (auto line = parser_.next()) {
      last_ = session_->handle(*line, parser_);
      out += last_.response;
    }
    return out;
  }
  std::string login() {
    if (!session_) connect(true);
    return say("AUTHENTICATE \"PLAIN\" \"" + kAlicePlain + "\"\r\n");
  }
  std::filesystem::path scripts() const { return tmp_ / "mail" / "example.org" / "alice" / "sieve"; }

  TempDir tmp_;
  Settings settings_ = default_settings();
  FakeDirectory directory_;
  std::optional<ManageSieveSession> session_;
  ManageSieveParser parser_{ManageSieveSession::kMaxLiteralBeforeLogin};
  ManageSieveStep last_;
};

}  // namespace

TEST_F(ManageSieveSessionTest, TheGreetingListsTheCapabilities) {
  connect(false);
  const auto greeting = session_->greeting();
  EXPECT_TRUE(greeting.starts_with("\"IMPLEMENTATION\" \"Letterbox\"\r\n\"SIEVE\" \"")) << greeting;
  for (const char* extension : {"fileinto", "vacation", "imap4flags", "regex", "include"}) {
    EXPECT_TRUE(std::regex_search(greeting, std::regex(std::string("\"SIEVE\" \"([^\"]* )?") + extension + "[ \"]")))
        << extension;
  }
  // Not on loopback and without TLS: no mechanism offered until STARTTLS.
  EXPECT_NE(greeting.find("\r\n\"SASL\" \"\"\r\n\"STARTTLS\"\r\n\"MAXREDIRECTS\" \"4\"\r\n\"UNAUTHENTICATE\"\r\n"
                          "\"VERSION\" \"1.0\"\r\nOK \"Letterbox ManageSieve ready.\"\r\n"),
            std::string::npos)
      << greeting;
  EXPECT_EQ(say("STARTTLS\r\n"), "OK \"Begin TLS negotiation now.\"\r\n");
  EXPECT_EQ(last_.next, ManageSieveStep::Next::StartTls);
  const auto after = session_->tls_started();
  EXPECT_NE(after.find("\"SASL\" \"PLAIN LOGIN\"\r\n\"MAXREDIRECTS\""), std::string::npos) << after;
  EXPECT_EQ(after.find("STARTTLS"), std::string::npos) << after;
  EXPECT_TRUE(after.ends_with("\"VERSION\" \"1.0\"\r\nOK \"TLS negotiation successful.\"\r\n")) << after;
  EXPECT_EQ(say("STARTTLS\r\n"), "NO \"TLS is not possible now.\"\r\n");
  const auto capability = say("capability\r\n");
  EXPECT_TRUE(capability.ends_with("OK \"Capability completed.\"\r\n")) << capability;
}

TEST_F(ManageSieveSessionTest, PlaintextLoginIsRefusedBeforeStartTlsExceptOnLoopback) {
  connect(false);
  EXPECT_EQ(say("AUTHENTICATE \"PLAIN\" \"" + kAlicePlain + "\"\r\n"),
            "NO (ENCRYPT-NEEDED) \"Use STARTTLS before authenticating.\"\r\n");
  EXPECT_EQ(directory_.logins, 0);  // the password never reached the directory
  connect(false, false);
  EXPECT_EQ(say("STARTTLS\r\n"), "NO \"TLS is not configured on this server.\"\r\n");
  settings_.managesieve.allow_plaintext_auth = true;
  connect(false);
  EXPECT_EQ(login(), "OK \"Logged in.\"\r\n");
  settings_.managesieve.allow_plaintext_auth = false;
  connect(true);
  EXPECT_EQ(login(), "OK \"Logged in.\"\r\n");
  EXPECT_TRUE(session_->authenticated());
}

TEST_F(ManageSieveSessionTest, SaslPlainAndLoginExchanges) {
  connect(true);
  // PLAIN with the response on its own line, as a literal.
  EXPECT_EQ(say("AUTHENTICATE \"PLAIN\"\r\n"), "\"\"\r\n");
  EXPECT_EQ(say("{36+}\r\n" + kAlicePlain + "\r\n"), "OK \"Logged in.\"\r\n");
  EXPECT_EQ(say("AUTHENTICATE \"PLAIN\" \"" + kAlicePlain + "\"\r\n"), "NO \"Already authenticated.\"\r\n");
  EXPECT_EQ(say("UNAUTHENTICATE\r\n"), "OK \"Unauthenticate completed.\"\r\n");
  EXPECT_EQ(say("LISTSCRIPTS\r\n"), "NO \"Authenticate first.\"\r\n");
  // LOGIN: the name, then the password, each asked for.
  EXPECT_EQ(say("AUTHENTICATE \"LOGIN\"\r\n"), "\"VXNlcm5hbWU6\"\r\n");
  EXPECT_EQ(say("\"YWxpY2VAZXhhbXBsZS5vcmc=\"\r\n"), "\"UGFzc3dvcmQ6\"\r\n");
  EXPECT_EQ(say("\"c2VjcmV0\"\r\n"), "OK \"Logged in.\"\r\n");
  EXPECT_EQ(say("UNAUTHENTICATE\r\n"), "OK \"Unauthenticate completed.\"\r\n");
  // Cancelled, malformed, another mechanism, acting as someone else.
  EXPECT_EQ(say("AUTHENTICATE \"PLAIN\"\r\n\"*\"\r\n"), "\"\"\r\nNO \"Authentication cancelled.\"\r\n");
  EXPECT_EQ(say("AUTHENTICATE \"PLAIN\" \"not base64!\"\r\n"), "NO \"The SASL response is not base64.\"\r\n");
  EXPECT_EQ(say("AUTHENTICATE \"PLAIN\" \"YWxpY2U=\"\r\n"), "NO \"Malformed PLAIN response.\"\r\n");
  EXPECT_EQ(say("AUTHENTICATE \"CRAM-MD5\"\r\n"), "NO \"Unsupported SASL mechanism CRAM-MD5.\"\r\n");
  // "bob@example.org\0alice@example.org\0secret"
  EXPECT_EQ(say("AUTHENTICATE \"PLAIN\" \"Ym9iQGV4YW1wbGUub3JnAGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==\"\r\n"),
            "NO \"Acting as another user is not allowed.\"\r\n");
  EXPECT_FALSE(session_->authenticated());
}

TEST_F(ManageSieveSessionTest, FailedLoginsAreDelayedAndCountedThenTheConnectionCloses) {
  connect(true);
  EXPECT_EQ(say("AUTHENTICATE \"PLAIN\" \"" + kAliceWrong + "\"\r\n"), "NO \"Authentication failed.\"\r\n");
  EXPECT_EQ(last_.delay, 2s);
  EXPECT_EQ(last_.next, ManageSieveStep::Next::Read);
  // A disabled account is told the same, and counted the same.
  EXPECT_EQ(say("AUTHENTICATE \"PLAIN\" \"AGNhcm9sQGV4YW1wbGUub3JnAHNlY3JldA==\"\r\n"),
            "NO \"Authentication failed.\"\r\n");
  EXPECT_EQ(say("AUTHENTICATE \"PLAIN\" \"" + kAliceWrong + "\"\r\n"), "BYE \"Too many failed logins.\"\r\n");
  EXPECT_EQ(last_.next, ManageSieveStep::Next::Close);
  EXPECT_EQ(last_.delay, 2s);
}

TEST_F(ManageSieveSessionTest, FailuresAreCountedPerAddressAcrossConnectionsButNotForLoopback) {
  AuthFailures by_address;
  const auto wrong = "AUTHENTICATE \"PLAIN\" \"" + kAliceWrong + "\"\r\n";
  const auto from = [&](const std::string& peer, bool loopback) {
    session_.emplace(settings_, directory_, ManageSieveConnection{peer, loopback, &by_address, true, true});
  };
  // A client that reconnects after two failures meets the limit on its first try in the next connection.
  from("192.0.2.7", false);
  EXPECT_EQ(say(wrong), "NO \"Authentication failed.\"\r\n");
  EXPECT_EQ(say(wrong), "NO \"Authentication failed.\"\r\n");
  from("192.0.2.7", false);
  EXPECT_EQ(say(wrong), "BYE \"Too many failed logins.\"\r\n");
  EXPECT_EQ(last_.next, ManageSieveStep::Next::Close);
  // Another address is not held responsible; nor is a webmail on this host, which logs everyone in.
  from("192.0.2.8", false);
  EXPECT_EQ(say(wrong), "NO \"Authentication failed.\"\r\n");
  for (int i = 0; i < 3; ++i) {
    from("127.0.0.1", true);
    EXPECT_EQ(say(wrong), "NO \"Authentication failed.\"\r\n");
  }
  EXPECT_EQ(by_address.count("127.0.0.1", AuthFailures::Clock::now()), 0U);
}

TEST(AuthFailures, AnAddressIsForgottenAfterItsQuietPeriodAndTheTableIsBounded) {
  AuthFailures failures(std::chrono::minutes(15), 3);
  const auto t0 = AuthFailures::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(failures.failed("a", t0), 1U);
  EXPECT_EQ(failures.failed("a", t0 + std::chrono::minutes(10)), 2U);
  EXPECT_EQ(failures.count("a", t0 + std::chrono::minutes(24)), 2U);
  EXPECT_EQ(failures.failed("a", t0 + std::chrono::minutes(26)), 1U);  // 16 min quiet: a fresh start
  failures.failed("b", t0 + std::chrono::minutes(27));
  failures.failed("c", t0 + std::chrono::minutes(28));
  failures.failed("d", t0 + std::chrono::minutes(29));  // full: "a", the quietest, goes
  EXPECT_EQ(failures.count("a", t0 + std::chrono::minutes(29)), 0U);
  EXPECT_EQ(failures.count("d", t0 + std::chrono::minutes(29)), 1U);
}

TEST_F(ManageSieveSessionTest, ADirectoryThatIsDownIsTryLaterNeverAWrongPassword) {
  connect(true);
  for (int i = 0; i < 5; ++i) {
    // "\0down\0secret"
    EXPECT_EQ(say("AUTHENTICATE \"PLAIN\" \"AGRvd24Ac2VjcmV0\"\r\n"),
              "NO (TRYLATER) \"The directory is unavailable; try again later.\"\r\n");
    EXPECT_EQ(last_.delay, 0s);
    EXPECT_EQ(last_.next, ManageSieveStep::Next::Read);
  }
}

TEST_F(ManageSieveSessionTest, ScriptsArePutListedActivatedFetchedRenamedAndDeleted) {
  EXPECT_EQ(login(), "OK \"Logged in.\"\r\n");
  EXPECT_EQ(say("LISTSCRIPTS\r\n"), "OK \"Listscripts completed.\"\r\n");
  EXPECT_EQ(say("HAVESPACE \"main\" 100\r\n"), "OK \"Putscript would succeed.\"\r\n");
  EXPECT_EQ(say("PUTSCRIPT \"main\" {28+}\r\nrequire \"fileinto\";\r\nkeep;\r\n\r\n"),
            "OK \"Putscript completed.\"\r\n");
  EXPECT_EQ(say("CHECKSCRIPT \"keep;\"\r\n"), "OK \"Script is valid.\"\r\n");
  EXPECT_EQ(say("PUTSCRIPT \"other\" \"discard;\"\r\n"), "OK \"Putscript completed.\"\r\n");
  EXPECT_EQ(say("SETACTIVE \"main\"\r\n"), "OK \"Setactive completed.\"\r\n");
  EXPECT_EQ(say("LISTSCRIPTS\r\n"), "\"main\" ACTIVE\r\n\"other\"\r\nOK \"Listscripts completed.\"\r\n");
  EXPECT_EQ(say("GETSCRIPT \"main\"\r\n"),
            "{28}\r\nrequire \"fileinto\";\r\nkeep;\r\n\r\nOK \"Getscript completed.\"\r\n");
  EXPECT_EQ(say("RENAMESCRIPT \"main\" \"filters\"\r\n"), "OK \"Renamescript completed.\"\r\n");
  EXPECT_EQ(say("DELETESCRIPT \"filters\"\r\n").substr(0, 13), "NO (ACTIVE) \"");
  EXPECT_EQ(say("SETACTIVE \"\"\r\n"), "OK \"Setactive completed.\"\r\n");
  EXPECT_EQ(say("DELETESCRIPT \"filters\"\r\n"), "OK \"Deletescript completed.\"\r\n");
  EXPECT_EQ(say("LISTSCRIPTS\r\n"), "\"other\"\r\nOK \"Listscripts completed.\"\r\n");
  EXPECT_TRUE(std::filesystem::exists(scripts() / "other.sieve"));
  EXPECT_EQ(say("NOOP \"tag-1\"\r\n"), "OK (TAG \"tag-1\") \"Done.\"\r\n");
  EXPECT_EQ(say("LOGOUT\r\n"), "OK \"Logout completed.\"\r\n");
  EXPECT_EQ(last_.next, ManageSieveStep::Next::Close);
}

TEST_F(ManageSieveSessionTest, EachRefusalHasItsResponseCode) {
  EXPECT_EQ(login(), "OK \"Logged in.\"\r\n");
  EXPECT_EQ(say("GETSCRIPT \"nope\"\r\n").substr(0, 18), "NO (NONEXISTENT) \"");
  EXPECT_EQ(say("SETACTIVE \"nope\"\r\n").substr(0, 18), "NO (NONEXISTENT) \"");
  EXPECT_EQ(say("DELETESCRIPT \"nope\"\r\n").substr(0, 18), "NO (NONEXISTENT) \"");
  EXPECT_EQ(say("PUTSCRIPT \"a\" \"keep;\"\r\nPUTSCRIPT \"b\" \"keep;\"\r\n"),
            "OK \"Putscript completed.\"\r\nOK \"Putscript completed.\"\r\n");
  EXPECT_EQ(say("RENAMESCRIPT \"a\" \"b\"\r\n").substr(0, 20), "NO (ALREADYEXISTS) \"");
  // A script that does not compile: where and why.
  EXPECT_EQ(say("PUTSCRIPT \"bad\" {25+}\r\nrequire \"fileinto\";\r\nfoo;\r\n"),
            "NO \"line 2, column 1: unknown command \\\"foo\\\"\"\r\n");
  // Names that leave the directory or are not names.
  for (const char* name : {"../x", "a/b", ".hidden", ""}) {
    const auto response = say(std::string("PUTSCRIPT \"") + name + "\" \"keep;\"\r\n");
    EXPECT_TRUE(response.starts_with("NO \"")) << name << ": " << response;
  }
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "mail" / "example.org" / "alice" / "x.sieve"));
  EXPECT_EQ(say("PUTSCRIPT \"a\"\r\n"), "NO \"Wrong arguments for PUTSCRIPT.\"\r\n");
  EXPECT_EQ(say("FROB\r\n"), "NO \"Unknown command FROB.\"\r\n");
  EXPECT_EQ(say("NOOP (x)\r\n"), "NO \"Syntax error: expected a string, a literal or a number\"\r\n");
}

TEST_F(ManageSieveSessionTest, QuotasOnScriptsAndStorage) {
  settings_.managesieve.max_scripts = 2;
  settings_.managesieve.max_storage = 100;
  settings_.sieve.max_script_size = 60;
  EXPECT_EQ(login(), "OK \"Logged in.\"\r\n");
  EXPECT_EQ(say("HAVESPACE \"a\" 61\r\n"),
            "NO (QUOTA/MAXSIZE) \"The script is larger than the 60 octets allowed.\"\r\n");
  const std::string fifty = "# " + std::string(41, 'x') + "\nkeep;\n";  // 50 octets
  EXPECT_EQ(say("PUTSCRIPT \"a\" {50+}\r\n" + fifty + "\r\nPUTSCRIPT \"b\" {50+}\r\n" + fifty + "\r\n"),
            "OK \"Putscript completed.\"\r\nOK \"Putscript completed.\"\r\n");
  EXPECT_EQ(say("HAVESPACE \"c\" 1\r\n"), "NO (QUOTA/MAXSCRIPTS) \"You have 2 scripts, the most allowed.\"\r\n");
  // Replacing one is not one more; growing it past the storage is.
  EXPECT_EQ(say("HAVESPACE \"b\" 50\r\n"), "OK \"Putscript would succeed.\"\r\n");
  EXPECT_EQ(say("PUTSCRIPT \"b\" {51+}\r\n" + fifty + "\n\r\n"),
            "NO (QUOTA/MAXSIZE) \"Your scripts would take more than the 100 octets allowed.\"\r\n");
  // A literal over the script size is skipped, answered, and the session goes on.
  EXPECT_EQ(say("PUTSCRIPT \"c\" {5000+}\r\n" + std::string(5000, 'x') + "\r\nNOOP\r\n"),
            "NO (QUOTA/MAXSIZE) \"The script is larger than the 60 octets allowed.\"\r\nOK \"NOOP completed.\"\r\n");
}

TEST_F(ManageSieveSessionTest, BeforeLoginALargeLiteralOrALongLineCloses) {
  connect(true);
  EXPECT_EQ(say("PUTSCRIPT \"a\" {100000+}\r\n"), "BYE \"Literal too large.\"\r\n");
  EXPECT_EQ(last_.next, ManageSieveStep::Next::Close);
  connect(true);
  ManageSieveParser fresh(ManageSieveSession::kMaxLiteralBeforeLogin);
  parser_ = std::move(fresh);
  EXPECT_EQ(say("NOOP " + std::string(9000, 'x') + "\r\n"), "BYE \"Line too long.\"\r\n");
  EXPECT_EQ(last_.next, ManageSieveStep::Next::Close);
}

TEST(ManageSieveString, QuotedWhenItCanBeALiteralOtherwise) {
  EXPECT_EQ(managesieve_string("plain"), "\"plain\"");
  EXPECT_EQ(managesieve_string("a \"b\" \\c"), "\"a \\\"b\\\" \\\\c\"");
  EXPECT_EQ(managesieve_string("two\r\nlines"), "{10}\r\ntwo\r\nlines");
  EXPECT_EQ(managesieve_string(std::string(1025, 'x')), "{1025}\r\n" + std::string(1025, 'x'));
}
