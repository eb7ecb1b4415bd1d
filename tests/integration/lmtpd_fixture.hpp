// The fixture of the letterbox-lmtpd tests (lmtpd_*_test.cpp): letterbox-lmtpd as Postfix sees it, a real
// process on real sockets, a real slapd, real lock holders. Every reply is asserted exactly; mailboxes are
// read back with Python's mailbox module.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "slapd.hpp"
#include "test_support.hpp"

// In a named namespace, not an anonymous one: every lmtpd_*_test.cpp must see one and the same LmtpdTest
// class, or Google Test refuses the suite.
namespace letterbox::test {

// What letterbox-lmtpd answers to LHLO, without and with STARTTLS among the extensions (the tests'
// configuration sets [ldap] host_attribute, hence XLETTERBOX-PROXIED).
inline const std::string kLhloReply =
    "250-lmtp.test\n250-PIPELINING\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250-SIZE 67108864\n"
    "250-XLETTERBOX-PROXIED\n250 CHUNKING";
inline const std::string kLhloReplyWithStartTls =
    "250-lmtp.test\n250-PIPELINING\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250-SIZE 67108864\n"
    "250-XLETTERBOX-PROXIED\n250-STARTTLS\n250 CHUNKING";

class LmtpdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(mail_root());
    port_ = free_port();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  std::filesystem::path mail_root() const { return tmp_ / "mail"; }
  std::filesystem::path socket_path() const { return tmp_ / "lmtp.sock"; }
  std::filesystem::path config() const { return tmp_ / "letterbox.conf"; }

  std::string config_text(const std::string& server_extra = "", const std::string& delivery_extra = "") const {
    return "[server]\nlisten = inet:127.0.0.1:" + std::to_string(port_) + " unix:" + socket_path().string() +
           "\nuser = nobody\ngroup = nogroup\nhostname = lmtp.test\nmax_recipients = 5\n" + server_extra +
           slapd_.config_section("host_attribute = letterboxHost\n") +
           "[delivery]\nmail_root = " + mail_root().string() + "\nlock_timeout = 1s\n" + delivery_extra +
           "[log]\ntarget = " + (tmp_ / "lmtpd.log").string() + "\n";
  }

  void start(const std::string& server_extra = "", const std::string& delivery_extra = "") {
    start_with(config_text(server_extra, delivery_extra));
  }

  void start_with(const std::string& text) {
    write_file(config(), text);
    server_ = std::make_unique<Background>(
        std::vector<std::string>{LETTERBOX_LMTPD_PATH, "-c", config().string(), "--foreground"});
    // The UNIX socket appears once every listener is bound; probing the TCP port would open a session
    // that counts against max_sessions until it is torn down.
    ASSERT_TRUE(wait_for_file(socket_path())) << read_file(tmp_ / "lmtpd.log");
  }

  std::unique_ptr<LineClient> connect() {
    auto c = std::make_unique<LineClient>(port_);
    EXPECT_EQ(c->reply(), "220 lmtp.test LMTP Letterbox ready");
    return c;
  }

  // LHLO + MAIL, ready for RCPTs.
  std::unique_ptr<LineClient> transaction(const std::string& sender = "sender@client.test") {
    auto c = connect();
    c->command("LHLO client.test");
    EXPECT_EQ(c->command("MAIL FROM:<" + sender + ">"), "250 2.1.0 Sender OK");
    return c;
  }

  std::filesystem::path alice() const { return mail_root() / "example.org" / "alice" / "Maildir"; }

  // A self-signed certificate and its key, made by the openssl command: "[server]" lines that use them.
  std::string make_certificate(const std::string& name, std::string* cert_out = nullptr,
                               std::string* key_out = nullptr) const {
    const auto cert = (tmp_ / (name + ".crt")).string();
    const auto key = (tmp_ / (name + ".key")).string();
    const auto r = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=lmtp.test", "-days",
                        "2", "-keyout", key, "-out", cert});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    if (cert_out != nullptr) *cert_out = cert;
    if (key_out != nullptr) *key_out = key;
    return "tls_cert_file = " + cert + "\ntls_key_file = " + key + "\n";
  }

  // MAIL, RCPT alice, DATA and the message: the reply to the message.
  template <class Client>
  static std::string deliver_to_alice(Client& c, const std::string& id) {
    EXPECT_EQ(c.command("MAIL FROM:<sender@client.test>"), "250 2.1.0 Sender OK");
    EXPECT_EQ(c.command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    EXPECT_EQ(c.command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
    c.send(smtp_data(test_message(id)));
    return c.reply();
  }

  // Sends `bytes` one at a time, `gap` apart, until the server answers or closes: its answer ("" for a
  // close without one), and how long after the first byte it came; "<open>" once `give_up` has passed.
  struct Trickled {
    std::string reply;
    std::chrono::milliseconds after{};
  };
  static Trickled trickle(LineClient& c, const std::string& bytes, std::chrono::milliseconds give_up,
                          std::chrono::milliseconds gap = std::chrono::seconds(1)) {
    const auto start = std::chrono::steady_clock::now();
    const auto since = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    };
    for (std::size_t i = 0; since() < give_up; ++i) {
      if (i < bytes.size()) c.send(bytes.substr(i, 1));
      auto answer = c.reply(gap);
      if (answer != "<timeout>") return {answer, since()};
    }
    return {"<open>", since()};
  }

  bool log_has(const std::string& text) const {
    return wait_until([&] { return read_file(tmp_ / "lmtpd.log").find(text) != std::string::npos; },
                      std::chrono::seconds(5));
  }

  Slapd slapd_;
  TempDir tmp_;
  int port_ = 0;
  std::unique_ptr<Background> server_;
};

}  // namespace letterbox::test
