// letterbox-managesieved as a ManageSieve client sees it: a real process, real sockets, a real slapd,
// RFC 5804 byte for byte; then the script it stored filtering a real LMTP delivery.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <thread>
#include <vector>

#include "managesieved_fixture.hpp"

using namespace letterbox;
using namespace letterbox::test;
using namespace std::chrono_literals;

namespace {

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_F(ManageSievedTest, GreetingCapabilityAndLogout) {
  start();
  auto c = std::make_unique<ManageSieveClient>(port_);
  const auto greeting = c->response();
  EXPECT_TRUE(greeting.starts_with("\"IMPLEMENTATION\" \"Letterbox\"\n\"SIEVE\" \"")) << greeting;
  EXPECT_NE(greeting.find("fileinto"), std::string::npos) << greeting;
  EXPECT_NE(greeting.find("\"SASL\" \"PLAIN LOGIN\""), std::string::npos) << greeting;  // loopback
  EXPECT_NE(greeting.find("\"STARTTLS\""), std::string::npos) << greeting;
  EXPECT_NE(greeting.find("\"VERSION\" \"1.0\""), std::string::npos) << greeting;
  const auto capability = c->command("CAPABILITY");
  EXPECT_TRUE(capability.ends_with("OK \"Capability completed.\"")) << capability;
  EXPECT_EQ(c->status("NOOP"), "OK \"NOOP completed.\"");
  EXPECT_EQ(c->status("LOGOUT"), "OK \"Logout completed.\"");
  EXPECT_TRUE(c->closed_by_peer());
}

TEST_F(ManageSievedTest, LoginGoodWrongDisabledAndDirectoryDown) {
  start("max_auth_failures = 5\n");
  {
    auto c = connect();
    EXPECT_EQ(c->status(plain("alice@example.org", "alice-password")), "OK \"Logged in.\"");
    EXPECT_EQ(c->status("LISTSCRIPTS"), "OK \"Listscripts completed.\"");
  }
  {
    auto c = connect();
    const auto before = std::chrono::steady_clock::now();
    EXPECT_EQ(c->status(plain("alice@example.org", "wrong")), "NO \"Authentication failed.\"");
    EXPECT_GE(std::chrono::steady_clock::now() - before, 300ms) << "a failure is answered after auth_failure_delay";
    EXPECT_EQ(c->status(plain("carol@example.org", "anything")), "NO \"Authentication failed.\"");
    EXPECT_EQ(c->status(plain("nobody@example.org", "anything")), "NO \"Authentication failed.\"");
  }
  const auto text = log();
  EXPECT_NE(text.find("managesieve: login failed: user=<alice@example.org> rip=127.0.0.1 (wrong password)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("login failed: user=<carol@example.org> rip=127.0.0.1 (account disabled)"), std::string::npos)
      << text;
  slapd_.stop();
  auto c = connect();
  EXPECT_EQ(c->status(plain("alice@example.org", "alice-password")),
            "NO (TRYLATER) \"The directory is unavailable; try again later.\"");
  EXPECT_EQ(c->status(plain("alice@example.org", "wrong")),
            "NO (TRYLATER) \"The directory is unavailable; try again later.\"");
  slapd_.start();
  EXPECT_EQ(c->status(plain("alice@example.org", "alice-password")), "OK \"Logged in.\"");
}

TEST_F(ManageSievedTest, MaxAuthFailuresClosesTheConnection) {
  start("max_auth_failures = 2\n");
  auto c = connect();
  EXPECT_EQ(c->status(plain("alice@example.org", "wrong-1")), "NO \"Authentication failed.\"");
  EXPECT_EQ(c->status(plain("alice@example.org", "wrong-2")), "BYE \"Too many failed logins.\"");
  EXPECT_TRUE(c->closed_by_peer());
  EXPECT_EQ(count_of(log(), "login failed: user=<alice@example.org> rip=127.0.0.1"), 2U) << log();
}

TEST_F(ManageSievedTest, AClientThatReconnectsIsStillCountedByItsAddress) {
  const std::string address = non_loopback_address();
  if (address.empty()) GTEST_SKIP() << "this host has no IPv4 address but loopback";
  start("max_auth_failures = 3\nallow_plaintext_auth = yes\n", "inet:" + address + ":" + std::to_string(port_));
  {
    ManageSieveClient c(port_, address);
    c.response();
    EXPECT_EQ(c.status(plain("alice@example.org", "wrong-1")), "NO \"Authentication failed.\"");
    EXPECT_EQ(c.status(plain("alice@example.org", "wrong-2")), "NO \"Authentication failed.\"");
  }
  ManageSieveClient again(port_, address);
  again.response();
  EXPECT_EQ(again.status(plain("alice@example.org", "wrong-3")), "BYE \"Too many failed logins.\"");
  EXPECT_TRUE(again.closed_by_peer());
  EXPECT_EQ(count_of(log(), "login failed: user=<alice@example.org> rip=" + address), 3U) << log();
}

TEST_F(ManageSievedTest, LdapFilterMetacharactersFindNobody) {
  start("max_auth_failures = 10\n");
  auto c = connect();
  for (const std::string name : {"*@example.org", "al*@example.org", "alice)(uid=*@example.org", "*",
                                 "alice@example.org)(|(mail=*", "alice\\00@example.org"}) {
    EXPECT_EQ(c->status(plain(name, "alice-password")), "NO \"Authentication failed.\"") << name;
  }
  EXPECT_EQ(log().find("managesieve: login: "), std::string::npos) << log();
}

TEST_F(ManageSievedTest, PlaintextAuthenticateFromTheNetworkNeedsStartTls) {
  const std::string address = non_loopback_address();
  if (address.empty()) GTEST_SKIP() << "this host has no IPv4 address but loopback";
  start("", "inet:" + address + ":" + std::to_string(port_));
  ManageSieveClient c(port_, address);
  const auto greeting = c.response();
  EXPECT_NE(greeting.find("\"SASL\" \"\""), std::string::npos) << "no mechanism offered in the clear: " << greeting;
  EXPECT_EQ(c.status(plain("alice@example.org", "alice-password")),
            "NO (ENCRYPT-NEEDED) \"Use STARTTLS before authenticating.\"");
  EXPECT_EQ(c.status("STARTTLS"), "OK \"Begin TLS negotiation now.\"");
  ASSERT_FALSE(c.start_tls());
  const auto listing = c.response();
  EXPECT_NE(listing.find("\"SASL\" \"PLAIN LOGIN\""), std::string::npos) << listing;
  EXPECT_EQ(listing.find("\"STARTTLS\""), std::string::npos) << listing;
  EXPECT_EQ(c.status(plain("alice@example.org", "alice-password")), "OK \"Logged in.\"");
  EXPECT_NE(log().find("managesieve: login: user=<alice@example.org> rip=" + address + " TLS"), std::string::npos)
      << log();
}

TEST_F(ManageSievedTest, OneUserNeverSeesAnothersScripts) {
  slapd_.add(kZoe);
  start();
  auto alice = login();
  EXPECT_EQ(alice->status("PUTSCRIPT \"secret\" " + literal("keep;\r\n")), "OK \"Putscript completed.\"");
  auto zoe = login("zoe@example.org", "zoe-password");
  EXPECT_EQ(zoe->command("LISTSCRIPTS"), "OK \"Listscripts completed.\"");
  EXPECT_TRUE(zoe->status("GETSCRIPT \"secret\"").starts_with("NO (NONEXISTENT)"));
  for (const std::string name : {"../../alice/sieve/secret", "../alice", "a/b", ".."}) {
    EXPECT_TRUE(zoe->status("GETSCRIPT \"" + name + "\"").starts_with("NO")) << name;
    EXPECT_TRUE(zoe->status("PUTSCRIPT \"" + name + "\" \"discard;\"").starts_with("NO")) << name;
    EXPECT_TRUE(zoe->status("DELETESCRIPT \"" + name + "\"").starts_with("NO")) << name;
  }
  const auto nul = zoe->status("PUTSCRIPT " + literal(std::string("a\0b", 3)) + " \"discard;\"");
  EXPECT_TRUE(nul.starts_with("NO")) << nul;
  EXPECT_EQ(alice->command("LISTSCRIPTS"), "\"secret\"\nOK \"Listscripts completed.\"");
}

TEST_F(ManageSievedTest, UploadedScriptFiltersARealLmtpDelivery) {
  start();
  start_lmtpd();
  auto c = login();
  const std::string script =
      "require [\"fileinto\", \"mailbox\"];\r\nif header :contains \"subject\" \"report\" {\r\n"
      "  fileinto :create \"Reports\";\r\n}\r\n";
  EXPECT_EQ(c->status("PUTSCRIPT \"main\" " + literal(script)), "OK \"Putscript completed.\"");
  EXPECT_EQ(c->status("SETACTIVE \"main\""), "OK \"Setactive completed.\"");
  EXPECT_EQ(c->command("LISTSCRIPTS"), "\"main\" ACTIVE\nOK \"Listscripts completed.\"");
  EXPECT_EQ(deliver_to_alice("weekly report"), "250 2.0.0 <alice@example.org> Delivered");
  EXPECT_EQ(files_in(alice_maildir() / ".Reports" / "new"), 1U) << log();
}

TEST_F(ManageSievedTest, TwoHundredConcurrentSessions) {
  start("max_sessions = 250\n");
  constexpr int kSessions = 200;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  const auto before = std::chrono::steady_clock::now();
  for (int i = 0; i < kSessions; ++i) {
    threads.emplace_back([&] {
      ManageSieveClient c(port_);
      if (!c.response().ends_with("ready.\"")) return;
      if (c.status(plain("alice@example.org", "alice-password")) != "OK \"Logged in.\"") return;
      if (!c.command("LISTSCRIPTS").ends_with("OK \"Listscripts completed.\"")) return;
      if (c.status("LOGOUT") == "OK \"Logout completed.\"") ++ok;
    });
  }
  for (auto& t : threads) t.join();
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
  EXPECT_EQ(ok, kSessions) << log();
  std::printf("200 concurrent sessions (connect, login, LISTSCRIPTS, LOGOUT) in %.2f s: %.0f logins/s\n", seconds,
              kSessions / seconds);
}

TEST_F(ManageSievedTest, SighupReloadsAndSigtermEndsIdleConnections) {
  start();
  auto before = login();
  write_file(config(), config_text("max_auth_failures = 1\n"));
  ASSERT_EQ(::kill(server_->pid(), SIGHUP), 0);
  ASSERT_TRUE(wait_until([&] { return log().find("reloaded ") != std::string::npos; }, 10s)) << log();
  auto after = connect();
  EXPECT_EQ(after->status(plain("alice@example.org", "wrong")), "BYE \"Too many failed logins.\"");
  EXPECT_EQ(before->status("LISTSCRIPTS"), "OK \"Listscripts completed.\"") << "the old session goes on";
  EXPECT_EQ(server_->signal_and_wait(SIGTERM), 0) << log();
  server_.reset();
  EXPECT_TRUE(before->closed_by_peer());
}

TEST_F(ManageSievedTest, MetricsCountLoginsCommandsAndStoredScripts) {
  const int stats_port = free_port();
  start("max_auth_failures = 5\n[stats]\nmanagesieve_listen = inet:127.0.0.1:" + std::to_string(stats_port) + "\n");
  {
    auto c = connect();
    EXPECT_EQ(c->status(plain("alice@example.org", "wrong")), "NO \"Authentication failed.\"");
    EXPECT_EQ(c->status(plain("carol@example.org", "x")), "NO \"Authentication failed.\"");
    EXPECT_EQ(c->status(plain("alice@example.org", "alice-password")), "OK \"Logged in.\"");
    EXPECT_EQ(c->status("PUTSCRIPT \"one\" \"keep;\""), "OK \"Putscript completed.\"");
    EXPECT_TRUE(c->status("PUTSCRIPT \"two\" \"frob;\"").starts_with("NO"));
    EXPECT_EQ(c->status("FROB"), "NO \"Unknown command FROB.\"");
  }
  std::string m;
  EXPECT_TRUE(wait_until(
      [&] {
        m = http_get(stats_port, "/metrics").body;
        return has_sample(m, "letterbox_sessions_open 0");
      },
      5s))
      << m;
  EXPECT_TRUE(
      has_sample(m, R"(letterbox_build_info{program="letterbox-managesieved",version=")" LETTERBOX_VERSION R"("} 1)"))
      << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_managesieve_logins_total{result="accepted"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_managesieve_logins_total{result="refused"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_managesieve_logins_total{result="disabled"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_managesieve_commands_total{command="AUTHENTICATE"} 3)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_managesieve_commands_total{command="PUTSCRIPT"} 2)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_managesieve_commands_total{command="other"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, "letterbox_managesieve_scripts_stored_total 1")) << m;
}

TEST_F(ManageSievedTest, AUnixSocketCountsAsLoopback) {
  start();  // allow_plaintext_auth = no
  ManageSieveClient c(socket_path().string());
  const auto greeting = c.response();
  EXPECT_NE(greeting.find("\"SASL\" \"PLAIN LOGIN\""), std::string::npos) << greeting;
  EXPECT_EQ(c.status(plain("alice@example.org", "alice-password")), "OK \"Logged in.\"");
  EXPECT_NE(log().find("managesieve: login: user=<alice@example.org> rip=local"), std::string::npos) << log();
}
