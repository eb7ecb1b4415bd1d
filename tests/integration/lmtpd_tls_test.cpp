// letterbox-lmtpd's STARTTLS, against a TLS client that is not the server's code.
#include <utility>  // before Asio: g++ 12 needs std::exchange declared for Asio

#include <gtest/gtest.h>
#include <sysexits.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <optional>
#include <regex>

#include "bounded_io.hpp"
#include "lmtpd_fixture.hpp"

using namespace letterbox;
using namespace letterbox::test;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;

// An LMTP client over TCP that can turn TLS on mid-session, as Postfix does after STARTTLS: Boost.Asio's
// TLS client (OpenSSL), not the server's code. Every operation is bounded, so a silent server fails the
// test instead of hanging it. The server's certificate is the test's own: not verified.
class TlsLmtpClient {
 public:
  explicit TlsLmtpClient(int port) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    context_.set_verify_mode(asio::ssl::verify_none);
  }

  void send(const std::string& bytes) {
    const auto ec = wait([&](auto done) {
      if (tls_) {
        asio::async_write(*tls_, asio::buffer(bytes), done);
      } else {
        asio::async_write(socket_, asio::buffer(bytes), done);
      }
    });
    EXPECT_FALSE(ec) << ec.message();
  }

  // One whole reply, a multi-line one joined with '\n'; "" once the server has closed.
  std::string reply(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::string joined;
    for (;;) {
      if (take_reply_lines(buffer_, joined)) return joined;
      std::array<char, 4096> chunk{};
      const auto ec = wait(
          [&](auto done) {
            if (tls_) {
              tls_->async_read_some(asio::buffer(chunk), done);
            } else {
              socket_.async_read_some(asio::buffer(chunk), done);
            }
          },
          timeout);
      if (ec) {
        end_ = ec;
        return ec == asio::error::timed_out ? joined + "<timeout>" : joined;
      }
      buffer_.append(chunk.data(), transferred_);
    }
  }

  std::string command(const std::string& line) {
    send(line + "\r\n");
    return reply();
  }

  // The client side of the handshake, after "220 2.0.0 Ready to start TLS".
  boost::system::error_code start_tls() {
    EXPECT_EQ(buffer_, "") << "the server said more in the clear after 220";
    tls_.emplace(socket_, context_);
    return wait([&](auto done) {
      tls_->async_handshake(asio::ssl::stream_base::client,
                            [done](const boost::system::error_code& ec) mutable { done(ec, 0); });
    });
  }

  [[nodiscard]] std::string tls_version() { return tls_ ? SSL_get_version(tls_->native_handle()) : ""; }

  // How the server ended the session, once it has: asio::error::eof is a TLS close_notify (before TLS:
  // a plain close); asio::ssl::error::stream_truncated is a connection cut without one.
  boost::system::error_code end() {
    while (!end_) reply(std::chrono::seconds(10));
    return end_;
  }

 private:
  template <class Start>
  boost::system::error_code wait(Start start, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return run_bounded(io_, socket_, start, timeout, transferred_);
  }

  asio::io_context io_;
  asio::ssl::context context_{asio::ssl::context::tls_client};
  asio::ip::tcp::socket socket_{io_};
  std::optional<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  std::string buffer_;
  std::size_t transferred_ = 0;
  boost::system::error_code end_;
};

}  // namespace

// STARTTLS (RFC 3207) on TCP: offered there only, and what a man in the middle pipelines behind STARTTLS
// in the clear is dropped, not run inside the TLS session.
TEST_F(LmtpdTest, StartTlsOnTcpDeliversAndDropsWhatCameInTheClear) {
  start(make_certificate("server"));
  {
    LineClient local(socket_path());
    EXPECT_EQ(local.reply(), "220 lmtp.test LMTP Letterbox ready");
    EXPECT_EQ(local.command("LHLO client.test"), kLhloReply);
    EXPECT_EQ(local.command("STARTTLS"), "502 5.5.1 STARTTLS not offered here");
  }
  TlsLmtpClient c(port_);
  EXPECT_EQ(c.reply(), "220 lmtp.test LMTP Letterbox ready");
  EXPECT_EQ(c.command("LHLO client.test"), kLhloReplyWithStartTls);
  EXPECT_EQ(c.command("STARTTLS now"), "501 5.5.4 Syntax: STARTTLS");
  EXPECT_EQ(c.command("MAIL FROM:<sender@client.test>"), "250 2.1.0 Sender OK");
  EXPECT_EQ(c.command("STARTTLS"), "503 5.5.1 STARTTLS not allowed in a mail transaction");
  EXPECT_EQ(c.command("RSET"), "250 2.0.0 OK");
  c.send("STARTTLS\r\nMAIL FROM:<injected@attacker.test>\r\n");
  EXPECT_EQ(c.reply(), "220 2.0.0 Ready to start TLS");
  const auto handshake = c.start_tls();
  ASSERT_FALSE(handshake) << handshake.message() << "\n" << read_file(tmp_ / "lmtpd.log");
  // Had the injected MAIL been kept, its reply ("503 5.5.1 Send LHLO first") would come before this one.
  EXPECT_EQ(c.command("LHLO client.test"), kLhloReply);  // STARTTLS no longer offered
  EXPECT_EQ(deliver_to_alice(c, "tls1"), "250 2.0.0 <alice@example.org> Delivered");
  EXPECT_EQ(c.command("STARTTLS"), "503 5.5.1 TLS already active");
  EXPECT_EQ(c.command("QUIT"), "221 2.0.0 lmtp.test closing connection");
  EXPECT_EQ(c.end(), asio::error::eof) << "the session did not end with a TLS close_notify";

  EXPECT_EQ(read_mailbox("maildir", alice()), "tls1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  const auto text = read_file(std::filesystem::directory_iterator(alice() / "new")->path());
  // Transaction 2 of the session: the first was the MAIL in the clear, reset.
  EXPECT_TRUE(std::regex_search(text, std::regex("\n\tby lmtp\\.test \\(Letterbox\\) with LMTPS id [0-9-]+\\.2\n")))
      << text;
  EXPECT_TRUE(log_has("TLS established: " + c.tls_version() + " ")) << read_file(tmp_ / "lmtpd.log");
  EXPECT_EQ(read_file(tmp_ / "lmtpd.log").find("injected@attacker.test"), std::string::npos);
}

TEST_F(LmtpdTest, TlsRequiredRefusesMailBeforeStartTlsOnTcpOnly) {
  start(make_certificate("server") + "tls_required = yes\n");
  TlsLmtpClient c(port_);
  EXPECT_EQ(c.reply(), "220 lmtp.test LMTP Letterbox ready");
  EXPECT_EQ(c.command("LHLO client.test"), kLhloReplyWithStartTls);
  EXPECT_EQ(c.command("MAIL FROM:<sender@client.test>"), "530 5.7.0 Must issue a STARTTLS command first");
  EXPECT_EQ(c.command("RCPT TO:<alice@example.org>"), "503 5.5.1 Need MAIL before RCPT");
  {
    LineClient local(socket_path());  // the UNIX socket's client is on this host: no TLS needed
    EXPECT_EQ(local.reply(), "220 lmtp.test LMTP Letterbox ready");
    EXPECT_EQ(local.command("LHLO client.test"), kLhloReply);
    EXPECT_EQ(deliver_to_alice(local, "local1"), "250 2.0.0 <alice@example.org> Delivered");
  }
  EXPECT_EQ(c.command("STARTTLS"), "220 2.0.0 Ready to start TLS");
  const auto handshake = c.start_tls();
  ASSERT_FALSE(handshake) << handshake.message();
  EXPECT_EQ(c.command("MAIL FROM:<sender@client.test>"), "503 5.5.1 Send LHLO first");
  EXPECT_EQ(c.command("LHLO client.test"), kLhloReply);
  EXPECT_EQ(deliver_to_alice(c, "tls2"), "250 2.0.0 <alice@example.org> Delivered");
  const auto report = read_mailbox("maildir", alice());
  EXPECT_NE(report.find("local1\tOK\t"), std::string::npos) << report;
  EXPECT_NE(report.find("tls2\tOK\t"), std::string::npos) << report;
  EXPECT_NE(report.find("count 2\n"), std::string::npos) << report;
}

// A key pair that cannot be used is found at start, not at the first STARTTLS: exit 78 with the key's name.
TEST_F(LmtpdTest, ATlsKeyThatCannotBeUsedStopsTheStartWithItsName) {
  std::string cert;
  std::string other_key;
  make_certificate("server", &cert, nullptr);
  make_certificate("other", nullptr, &other_key);
  const auto start_fails = [&](const std::string& server_extra) {
    write_file(config(), config_text(server_extra));
    // timeout(1): a server that starts after all would otherwise hold the test until ctest kills it.
    const auto r = run_split({"timeout", "20", LETTERBOX_LMTPD_PATH, "-c", config().string(), "--foreground"});
    EXPECT_EQ(r.exit_code, EX_CONFIG) << r.err;
    EXPECT_FALSE(std::filesystem::exists(socket_path()));
    return r.err;
  };
  auto err = start_fails("tls_cert_file = " + cert + "\ntls_key_file = " + other_key + "\n");
  EXPECT_TRUE(err.starts_with("letterbox-lmtpd: [server] tls_key_file " + other_key + ": cannot be used: ")) << err;
  err = start_fails("tls_cert_file = " + cert + "\n");
  EXPECT_EQ(err, "letterbox-lmtpd: [server] tls_cert_file is set, but tls_key_file is not: they go together\n");
  const auto missing = (tmp_ / "missing.crt").string();
  err = start_fails("tls_cert_file = " + missing + "\ntls_key_file = " + other_key + "\n");
  EXPECT_EQ(err,
            "letterbox-lmtpd: [server] tls_cert_file " + missing + ": cannot be used: No such file or directory\n");
  err = start_fails("tls_required = yes\n");
  EXPECT_NE(err.find("tls_required = yes, but tls_cert_file is not set"), std::string::npos) << err;
}

// After 220 only a handshake may come: a client that stalls is closed at idle_timeout, and one that goes
// on in the clear is closed at once; neither gets a reply, and both are logged.
TEST_F(LmtpdTest, AFailedTlsHandshakeClosesTheSession) {
  start(make_certificate("server") + "idle_timeout = 1s\n");
  {
    auto c = connect();
    EXPECT_EQ(c->command("LHLO client.test"), kLhloReplyWithStartTls);
    EXPECT_EQ(c->command("STARTTLS"), "220 2.0.0 Ready to start TLS");
    EXPECT_TRUE(c->closed_by_peer(5s));
  }
  EXPECT_TRUE(log_has("TLS handshake failed: idle timeout")) << read_file(tmp_ / "lmtpd.log");
  auto c = connect();
  EXPECT_EQ(c->command("LHLO client.test"), kLhloReplyWithStartTls);
  EXPECT_EQ(c->command("STARTTLS"), "220 2.0.0 Ready to start TLS");
  c->send("MAIL FROM:<sender@client.test>\r\n");
  EXPECT_EQ(c->rest(5s), "");
  const auto failures = [&] {
    const auto log = read_file(tmp_ / "lmtpd.log");
    const auto first = log.find("TLS handshake failed: ");
    return first == std::string::npos ? 0 : log.find("TLS handshake failed: ", first + 1) == std::string::npos ? 1 : 2;
  };
  EXPECT_TRUE(wait_until([&] { return failures() == 2; }, 5s)) << read_file(tmp_ / "lmtpd.log");
}
