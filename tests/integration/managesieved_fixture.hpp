// The fixture of letterbox-managesieved's tests: a real process on a loopback TCP port (and a UNIX socket),
// a real slapd, a self-signed key pair for STARTTLS, and a letterbox-lmtpd on the same configuration for
// the tests that deliver through an uploaded script.
#pragma once

#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "managesieve_client.hpp"
#include "slapd.hpp"
#include "test_support.hpp"

namespace letterbox::test {

// A password-holding user besides alice, so that two users' scripts can meet.
inline const char* kZoe =
    "dn: uid=zoe,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nobjectClass: letterboxAccount\n"
    "uid: zoe\ncn: Zoe\nsn: Zed\nmail: zoe@example.org\nuserPassword: zoe-password\n";

class ManageSievedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(mail_root());
    port_ = free_port();
    const auto r = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=sieve.test", "-days",
                        "2", "-keyout", key().string(), "-out", cert().string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::filesystem::permissions(key(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (lmtpd_) lmtpd_->stop();
  }

  std::filesystem::path mail_root() const { return tmp_ / "mail"; }
  std::filesystem::path socket_path() const { return tmp_ / "sieve.sock"; }
  std::filesystem::path lmtp_socket() const { return tmp_ / "lmtp.sock"; }
  std::filesystem::path config() const { return tmp_ / "letterbox.conf"; }
  std::filesystem::path log_file() const { return tmp_ / "managesieved.log"; }
  std::filesystem::path cert() const { return tmp_ / "sieve.crt"; }
  std::filesystem::path key() const { return tmp_ / "sieve.key"; }
  std::string log() const { return read_file(log_file()); }

  // `listen`: the TCP listener, beside the UNIX socket (whose name tells that every listener is bound); "" is
  // 127.0.0.1 on port_.
  std::string config_text(const std::string& managesieve_extra = "", const std::string& listen = "") const {
    return "[server]\nlisten = unix:" + lmtp_socket().string() +
           "\nuser = nobody\ngroup = nogroup\nhostname = lmtp.test\ntls_cert_file = " + cert().string() +
           "\ntls_key_file = " + key().string() + "\n" +
           slapd_.config_section("cache_ttl = 0s\nnegative_cache_ttl = 0s\nstale_ttl = 0s\n") +
           "[delivery]\nmail_root = " + mail_root().string() + "\n[sieve]\nenabled = yes\n" +
           "[managesieve]\nlisten = " + (listen.empty() ? "inet:127.0.0.1:" + std::to_string(port_) : listen) +
           " unix:" + socket_path().string() + "\nauth_failure_delay = 300ms\n" + managesieve_extra +
           "[log]\ntarget = " + log_file().string() + "\n";
  }

  void start(const std::string& managesieve_extra = "", const std::string& listen = "") {
    write_file(config(), config_text(managesieve_extra, listen));
    server_ = std::make_unique<Background>(
        std::vector<std::string>{LETTERBOX_MANAGESIEVED_PATH, "-c", config().string(), "--foreground"});
    ASSERT_TRUE(wait_for_file(socket_path())) << log();
  }

  void start_lmtpd() {
    lmtpd_ = std::make_unique<Background>(
        std::vector<std::string>{LETTERBOX_LMTPD_PATH, "-c", config().string(), "--foreground"});
    ASSERT_TRUE(wait_for_file(lmtp_socket())) << log();
  }

  // One message with `subject` to alice through letterbox-lmtpd's UNIX socket: its reply.
  std::string deliver_to_alice(const std::string& subject) const {
    LineClient lmtp(lmtp_socket());
    EXPECT_EQ(lmtp.reply().substr(0, 3), "220");
    lmtp.command("LHLO client.test");
    EXPECT_EQ(lmtp.command("MAIL FROM:<sender@client.test>"), "250 2.1.0 Sender OK");
    EXPECT_EQ(lmtp.command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    EXPECT_EQ(lmtp.command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
    lmtp.send(smtp_data("From: a@client.test\nTo: alice@example.org\nSubject: " + subject + "\n\ntext\n"));
    return lmtp.reply();
  }
  std::filesystem::path alice_maildir() const { return mail_root() / "example.org" / "alice" / "Maildir"; }
  std::filesystem::path alice_scripts() const { return mail_root() / "example.org" / "alice" / "sieve"; }
  // How many files `dir` holds (0 when it does not exist).
  static std::size_t files_in(const std::filesystem::path& dir) {
    if (!std::filesystem::exists(dir)) return 0;
    return static_cast<std::size_t>(
        std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()));
  }

  // A connection, its greeting read.
  std::unique_ptr<ManageSieveClient> connect(const std::string& host = "127.0.0.1") {
    auto c = std::make_unique<ManageSieveClient>(port_, host);
    const auto greeting = c->response();
    EXPECT_TRUE(greeting.ends_with("OK \"Letterbox ManageSieve ready.\"")) << greeting;
    return c;
  }

  static std::string base64(const std::string& text) {
    std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
  }
  static std::string plain(const std::string& user, const std::string& password) {
    return "AUTHENTICATE \"PLAIN\" \"" + base64(std::string(1, '\0') + user + '\0' + password) + "\"";
  }

  // A connection logged in as `user`.
  std::unique_ptr<ManageSieveClient> login(const std::string& user = "alice@example.org",
                                           const std::string& password = "alice-password") {
    auto c = connect();
    EXPECT_EQ(c->status(plain(user, password)), "OK \"Logged in.\"");
    return c;
  }

  static std::string literal(const std::string& text) { return "{" + std::to_string(text.size()) + "+}\r\n" + text; }

  // An IPv4 address of this host that is not loopback ("" when there is none).
  static std::string non_loopback_address() {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return "";
    std::string found;
    for (auto* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
      const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
      found = boost::asio::ip::address_v4(ntohl(in->sin_addr.s_addr)).to_string();
    }
    ::freeifaddrs(list);
    return found;
  }

  Slapd slapd_;
  TempDir tmp_;
  int port_ = 0;
  std::unique_ptr<Background> server_;
  std::unique_ptr<Background> lmtpd_;
};

}  // namespace letterbox::test
