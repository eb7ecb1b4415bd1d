// letterbox-lmtpd as Postfix sees it: a real process on real sockets, a real slapd, real lock holders.
// Every reply is asserted exactly; mailboxes are read back with Python's mailbox module.
#include <utility>  // before Asio: g++ 12 needs std::exchange declared for Asio

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sysexits.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <optional>
#include <regex>
#include <thread>

#include "../support/slapd.hpp"
#include "../support/test_support.hpp"

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
  // Runs one asynchronous operation to its completion, or cancels it after `timeout` (timed_out).
  template <class Start>
  boost::system::error_code wait(Start start, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::optional<boost::system::error_code> result;
    start([this, &result](const boost::system::error_code& ec, std::size_t n) {
      result = ec;
      transferred_ = n;
    });
    io_.restart();
    io_.run_for(timeout);
    if (result) return *result;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    io_.restart();
    io_.run();
    return asio::error::timed_out;
  }

  asio::io_context io_;
  asio::ssl::context context_{asio::ssl::context::tls_client};
  asio::ip::tcp::socket socket_{io_};
  std::optional<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  std::string buffer_;
  std::size_t transferred_ = 0;
  boost::system::error_code end_;
};

// What letterbox-lmtpd answers to LHLO, without and with STARTTLS among the extensions (the tests'
// configuration sets [ldap] host_attribute, hence XLETTERBOX-PROXIED).
const std::string kLhloReply =
    "250-lmtp.test\n250-PIPELINING\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250-SIZE 67108864\n"
    "250-XLETTERBOX-PROXIED\n250 CHUNKING";
const std::string kLhloReplyWithStartTls =
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
                          std::chrono::milliseconds gap = 1s) {
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
    return wait_until([&] { return read_file(tmp_ / "lmtpd.log").find(text) != std::string::npos; }, 5s);
  }

  Slapd slapd_;
  TempDir tmp_;
  int port_ = 0;
  std::unique_ptr<Background> server_;
};

}  // namespace

TEST_F(LmtpdTest, GreetingAndCapabilities) {
  start();
  auto c = connect();
  EXPECT_EQ(c->command("LHLO client.test"), kLhloReply);
  EXPECT_EQ(c->command("QUIT"), "221 2.0.0 lmtp.test closing connection");
  EXPECT_TRUE(c->closed_by_peer());
}

TEST_F(LmtpdTest, DeliversWithReceivedReturnPathAndDeliveredTo) {
  start();
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<Alice@Example.org> ORCPT=rfc822;alice@example.org"),
            "250 2.1.5 <Alice@Example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  c->send(smtp_data(test_message("l1")));
  EXPECT_EQ(c->reply(), "250 2.0.0 <Alice@Example.org> Delivered");
  EXPECT_EQ(read_mailbox("maildir", alice()), "l1\tOK\t<sender@client.test>\tAlice@Example.org\ncount 1\n");
  const auto file = std::filesystem::directory_iterator(alice() / "new")->path();
  const auto text = read_file(file);
  EXPECT_TRUE(std::regex_search(
      text, std::regex("^Return-Path: <sender@client.test>\nDelivered-To: Alice@Example.org\n"
                       "Received: from client.test \\(127.0.0.1\\)\n\tby lmtp.test \\(Letterbox\\) "
                       "with LMTP id [0-9-]+\\.1\n\tfor <Alice@Example.org>; .+\nMessage-ID: <l1>\n")))
      << text;
  const auto log = read_file(tmp_ / "lmtpd.log");
  EXPECT_NE(log.find("from=<sender@client.test> to=<Alice@Example.org> mailbox=example.org/alice/Maildir size="),
            std::string::npos)
      << log;
}

TEST_F(LmtpdTest, ProtocolErrors) {
  start();
  auto c = connect();
  EXPECT_EQ(c->command("HELO client.test"), "500 5.5.1 This is LMTP: use LHLO");
  EXPECT_EQ(c->command("EHLO client.test"), "500 5.5.1 This is LMTP: use LHLO");
  EXPECT_EQ(c->command("MAIL FROM:<a@b.example>"), "503 5.5.1 Send LHLO first");
  EXPECT_EQ(c->command("FROB"), "500 5.5.1 Command unrecognized");
  EXPECT_EQ(c->command("LHLO"), "501 5.5.4 Syntax: LHLO hostname");
  c->command("LHLO client.test");
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "503 5.5.1 Need MAIL before RCPT");
  EXPECT_EQ(c->command("DATA"), "503 5.5.1 Need MAIL before DATA");
  EXPECT_EQ(c->command("MAIL FROM:a@b.example"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(c->command("MAIL FROM:<a@b.example> SIZE=999999999999"), "552 5.3.4 Message too big");
  EXPECT_EQ(c->command("MAIL FROM:<a@b.example> AUTH=<>"), "555 5.5.4 Unsupported parameter AUTH");
  EXPECT_EQ(c->command("MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME"), "250 2.1.0 Sender OK");
  EXPECT_EQ(c->command("MAIL FROM:<a@b.example>"), "503 5.5.1 Nested MAIL command");
  EXPECT_EQ(c->command("RCPT TO:<alice)(uid=*@example.org>"),
            "501 5.1.3 <alice)(uid=*@example.org> Bad recipient address syntax: invalid local part");
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org> NOTIFY=NEVER"), "555 5.5.4 Unsupported parameter NOTIFY");
  EXPECT_EQ(c->command("RCPT TO:alice@example.org"), "501 5.5.4 Syntax: RCPT TO:<address>");
  EXPECT_EQ(c->command("DATA"), "503 5.5.1 No valid recipients");
  EXPECT_EQ(c->command("VRFY alice"), "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery");
  EXPECT_EQ(c->command("NOOP " + std::string(600, 'x')), "500 5.5.2 Line too long");
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>\rRSET"), "500 5.5.2 Bare CR or NUL in command line");
  EXPECT_EQ(c->command("NOOP"), "250 2.0.0 OK");
  EXPECT_EQ(c->command("RSET"), "250 2.0.0 OK");
}

// Addresses beyond RFC 5321's minimum limits come from real MTAs (SRS, VERP, long subaddresses): a 5xx
// for them would bounce accepted mail.
TEST_F(LmtpdTest, LongSenderAndLongSubaddressAreDelivered) {
  start();
  auto c = connect();
  c->command("LHLO client.test");
  const std::string srs = "SRS0=HHH=TT=example.com=" + std::string(80, 'x') + "@forwarder_1.example.net";
  EXPECT_EQ(c->command("MAIL FROM:<" + srs + ">"), "250 2.1.0 Sender OK");
  const std::string rcpt = "alice+" + std::string(90, 't') + "@example.org";
  EXPECT_EQ(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 <" + rcpt + "> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  c->send(smtp_data(test_message("srs")));
  EXPECT_EQ(c->reply(), "250 2.0.0 <" + rcpt + "> Delivered");
  EXPECT_EQ(read_mailbox("maildir", alice()), "srs\tOK\t<" + srs + ">\t" + rcpt + "\ncount 1\n");
  EXPECT_EQ(c->command("MAIL FROM:<bad\x01sender@example.org>"),
            "501 5.1.7 Bad sender address syntax: control character");
}

TEST_F(LmtpdTest, DirectoryAnswersAtRcpt) {
  start();
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<nosuchuser@example.org>"), "550 5.1.1 <nosuchuser@example.org> User unknown");
  EXPECT_EQ(c->command("RCPT TO:<carol@example.org>"), "550 5.2.1 <carol@example.org> Mailbox disabled");
  EXPECT_EQ(c->command("RCPT TO:<dave@example.org>"), "450 4.2.1 <dave@example.org> Mailbox temporarily unavailable");
  EXPECT_EQ(c->command("RCPT TO:<twin@example.org>"), "451 4.3.0 <twin@example.org> Local delivery error");
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("RCPT TO:<ali@example.org>"), "452 4.5.3 Too many recipients");  // max_recipients = 5
}

TEST_F(LmtpdTest, ThreePipelinedTransactionsInOneWrite) {
  start();
  auto c = connect();
  std::string all = "LHLO client.test\r\n";
  for (int i = 0; i < 3; ++i) {
    all += "MAIL FROM:<s" + std::to_string(i) + "@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n" +
           smtp_data(test_message("p" + std::to_string(i)));
  }
  all += "QUIT\r\n";
  c->send(all);
  EXPECT_TRUE(c->reply().starts_with("250-lmtp.test"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c->reply(), "250 2.1.0 Sender OK");
    EXPECT_EQ(c->reply(), "250 2.1.5 <alice@example.org> OK");
    EXPECT_EQ(c->reply(), "354 Start mail input; end with <CRLF>.<CRLF>");
    EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
  }
  EXPECT_EQ(c->reply(), "221 2.0.0 lmtp.test closing connection");
  const auto report = read_mailbox("maildir", alice());
  EXPECT_NE(report.find("count 3\n"), std::string::npos) << report;
  EXPECT_EQ(report.find("BAD"), std::string::npos) << report;
}

TEST_F(LmtpdTest, SeveralTransactionsWithRsetOnOneConnection) {
  start();
  auto c = connect();
  c->command("LHLO client.test");
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(c->command("MAIL FROM:<sender@client.test>"), "250 2.1.0 Sender OK");
    EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    if (i % 2 == 1) {
      EXPECT_EQ(c->command("RSET"), "250 2.0.0 OK");  // abandoned: nothing delivered
      continue;
    }
    EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
    c->send(smtp_data(test_message("r" + std::to_string(i))));
    EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
    EXPECT_EQ(c->command("RSET"), "250 2.0.0 OK");  // what Postfix sends before reusing a connection
  }
  EXPECT_NE(read_mailbox("maildir", alice()).find("count 2\n"), std::string::npos);
}

TEST_F(LmtpdTest, MixedTransactionRepliesInRcptOrder) {
  start();
  // erin's mbox is dotlocked by another program; bob's is over its 1 MiB quota.
  const auto erin = mail_root() / "example.org" / "erin.mbox";
  const auto bob = mail_root() / "example.org" / "bob.mbox";
  std::filesystem::create_directories(erin.parent_path());
  write_file(erin, "");
  write_file(bob, "From x@y Thu Jan  1 00:00:00 2026\nSubject: big\n\n" + std::string(1048500, 'z') + "\n\n");
  const auto bob_before = read_file(bob);
  ASSERT_EQ(run({"dotlockfile", "-l", "-r", "0", erin.string() + ".lock"}).exit_code, 0);
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("RCPT TO:<nosuchuser@example.org>"), "550 5.1.1 <nosuchuser@example.org> User unknown");
  EXPECT_EQ(c->command("RCPT TO:<erin@example.org>"), "250 2.1.5 <erin@example.org> OK");
  EXPECT_EQ(c->command("RCPT TO:<bob.builder@example.org>"), "250 2.1.5 <bob.builder@example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  c->send(smtp_data(test_message("mixed")));
  EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
  EXPECT_EQ(c->reply(), "450 4.2.0 <erin@example.org> Mailbox locked, try again later");
  EXPECT_EQ(c->reply(), "450 4.2.2 <bob.builder@example.org> Mailbox full");
  EXPECT_EQ(read_file(erin), "");
  EXPECT_TRUE(read_file(bob) == bob_before);
  EXPECT_EQ(read_mailbox("maildir", alice()), "mixed\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
}

TEST_F(LmtpdTest, HostAttributeAnswers4_4_4ForAMailboxOnAnotherHost) {
  start();  // hostname = lmtp.test, proxy = no
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<frank@example.org>"), "450 4.4.4 <frank@example.org> Mailbox is on host mx2.test");
  EXPECT_EQ(c->command("RCPT TO:<grace@example.org>"), "250 2.1.5 <grace@example.org> OK");  // "LMTP.Test"
  EXPECT_EQ(c->command("RCPT TO:<heidi@example.org>"), "451 4.3.0 <heidi@example.org> Local delivery error");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  c->send(smtp_data(test_message("h1")));
  EXPECT_EQ(c->reply(), "250 2.0.0 <grace@example.org> Delivered");
  EXPECT_EQ(read_mailbox("maildir", mail_root() / "example.org" / "grace" / "Maildir"),
            "h1\tOK\t<sender@client.test>\tgrace@example.org\ncount 1\n");
  EXPECT_FALSE(std::filesystem::exists(mail_root() / "example.org" / "frank"));
  const auto log = read_file(tmp_ / "lmtpd.log");
  EXPECT_NE(log.find("the directory puts the mailbox on mx2.test (uid=frank,ou=people,dc=example,dc=org)"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("unreadable letterboxHost in uid=heidi,ou=people,dc=example,dc=org"), std::string::npos) << log;
}

TEST_F(LmtpdTest, DuplicateRecipientAnsweredTwiceDeliveredOnce) {
  start();
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("RCPT TO:<ALICE@example.org>"), "250 2.1.5 <ALICE@example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  c->send(smtp_data(test_message("dup")));
  EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
  EXPECT_EQ(c->reply(), "250 2.0.0 <ALICE@example.org> Delivered");
  EXPECT_NE(read_mailbox("maildir", alice()).find("count 1\n"), std::string::npos);
}

TEST_F(LmtpdTest, BdatChunks) {
  start();
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  std::string message = test_message("bdat");
  std::string crlf = std::regex_replace(message, std::regex("\n"), "\r\n");
  const auto half = crlf.size() / 2;
  c->send("BDAT " + std::to_string(half) + "\r\n" + crlf.substr(0, half));
  EXPECT_EQ(c->reply(), "250 2.0.0 " + std::to_string(half) + " octets received");
  c->send("BDAT " + std::to_string(crlf.size() - half) + " LAST\r\n" + crlf.substr(half));
  EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
  EXPECT_EQ(read_mailbox("maildir", alice()), "bdat\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
}

// The spool cannot be written (here: its directory is read-only) once a BDAT message outgrows memory:
// the message must end in 451 for every recipient, not continue in a fresh spool without its start.
TEST_F(LmtpdTest, SpoolFailureInBdatIsDeferredNotTruncated) {
  const auto spool_dir = tmp_ / "spool";
  std::filesystem::create_directories(spool_dir);
  std::filesystem::permissions(spool_dir, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  write_file(config(), config_text());
  server_ = std::make_unique<Background>(std::vector<std::string>{
      "env", "TMPDIR=" + spool_dir.string(), LETTERBOX_LMTPD_PATH, "-c", config().string(), "--foreground"});
  ASSERT_TRUE(wait_for_file(socket_path()));
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  std::string first = "Subject: big\r\n\r\n";
  while (first.size() < 600 * 1024) first += std::string(70, 'x') + "\r\n";
  c->send("BDAT " + std::to_string(first.size()) + "\r\n" + first);
  EXPECT_EQ(c->reply(), "250 2.0.0 " + std::to_string(first.size()) + " octets received");
  const std::string last = "the end\r\n";
  c->send("BDAT " + std::to_string(last.size()) + " LAST\r\n" + last);
  EXPECT_EQ(c->reply(), "451 4.3.0 <alice@example.org> Local delivery error");
  EXPECT_TRUE(!std::filesystem::exists(alice() / "new") || std::filesystem::is_empty(alice() / "new"));
  // The session goes on, and a message that fits in memory is delivered.
  EXPECT_EQ(c->command("MAIL FROM:<sender@client.test>"), "250 2.1.0 Sender OK");
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  c->send(smtp_data(test_message("small")));
  EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
  EXPECT_EQ(read_mailbox("maildir", alice()), "small\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
}

TEST_F(LmtpdTest, BdatThenDataIsRefusedAndRsetClearsAHeldBackCr) {
  start();
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  c->send("BDAT 5\r\nabc\r\r");  // ends in a CR that may yet start a CRLF
  EXPECT_EQ(c->reply(), "250 2.0.0 5 octets received");
  EXPECT_EQ(c->command("DATA"), "503 5.5.1 BDAT chunks already sent: DATA not allowed");
  EXPECT_EQ(c->command("RSET"), "250 2.0.0 OK");
  EXPECT_EQ(c->command("MAIL FROM:<sender@client.test>"), "250 2.1.0 Sender OK");
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  const std::string message = "Message-ID: <cr>\r\n\r\nbody\r\n";
  c->send("BDAT " + std::to_string(message.size()) + " LAST\r\n" + message);
  EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
  const auto file = std::filesystem::directory_iterator(alice() / "new")->path();
  const auto text = read_file(file);
  // The CR held back from the abandoned message does not reappear in front of this one.
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
}

TEST_F(LmtpdTest, OverlongTextLineAndOversizedMessage) {
  start("max_message_size = 2K\n");
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  c->send("Subject: x\r\n\r\n" + std::string(1200, 'x') + "\r\n.\r\n");
  EXPECT_EQ(c->reply(), "500 5.5.2 <alice@example.org> Line too long");
  EXPECT_EQ(c->command("MAIL FROM:<sender@client.test>"), "250 2.1.0 Sender OK");  // framing held
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  std::string big = "Subject: big\r\n\r\n";
  for (int i = 0; i < 100; ++i) big += std::string(70, 'y') + "\r\n";
  c->send(big + ".\r\n");
  EXPECT_EQ(c->reply(), "552 5.3.4 Message too big");
  EXPECT_TRUE(!std::filesystem::exists(alice() / "new") || std::filesystem::is_empty(alice() / "new"));
}

TEST_F(LmtpdTest, DirectoryStoppedThenStartedWithoutRestartingTheServer) {
  start();
  slapd_.stop();
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"),
              "450 4.4.3 <alice@example.org> Directory unavailable, try again later");
  }
  slapd_.start();
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
}

TEST_F(LmtpdTest, UnixSocketWorks) {
  start();
  LineClient c(socket_path());
  EXPECT_EQ(c.reply(), "220 lmtp.test LMTP Letterbox ready");
  EXPECT_TRUE(c.command("LHLO client.test").starts_with("250-lmtp.test"));
}

TEST_F(LmtpdTest, IdleTimeoutAndMaxSessions) {
  start("idle_timeout = 1s\nmax_sessions = 2\n");
  auto a = connect();
  auto b = connect();
  LineClient third(port_);
  EXPECT_EQ(third.reply(), "421 4.3.2 lmtp.test Too many sessions, try again later");
  EXPECT_TRUE(third.closed_by_peer());
  EXPECT_EQ(a->reply(3s), "421 4.4.2 lmtp.test Idle timeout, closing connection");
  EXPECT_TRUE(a->closed_by_peer());
}

TEST_F(LmtpdTest, ClientStalledInDataTimesOut) {
  start("idle_timeout = 1s\n");
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  c->send("Subject: half a message\r\n");  // and then nothing
  EXPECT_EQ(c->reply(5s), "421 4.4.2 lmtp.test Timeout during data transfer, closing connection");
  EXPECT_TRUE(c->closed_by_peer());
  EXPECT_FALSE(std::filesystem::exists(alice() / "new"));
}

// A line's deadline runs from when the server starts waiting for it: bytes trickling in do not extend it.
TEST_F(LmtpdTest, ACommandLineSentAByteASecondIsClosedAtIdleTimeout) {
  start("idle_timeout = 2s\n");
  auto c = connect();
  const auto t = trickle(*c, "LHLO a-client-that-sends-one-byte-a-second.test\r\n", 6s);
  EXPECT_EQ(t.reply, "421 4.4.2 lmtp.test Idle timeout, closing connection");
  EXPECT_GE(t.after, 1700ms);
  EXPECT_LE(t.after, 3s);
  EXPECT_TRUE(c->closed_by_peer());
}

// DATA gets idle_timeout plus the bytes received so far at min_data_rate (500/s): a byte a second earns
// 2 ms a byte.
TEST_F(LmtpdTest, DataSentAByteASecondIsClosedAtItsDeadline) {
  start("idle_timeout = 2s\n");
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  const auto t = trickle(*c, smtp_data(test_message("trickled")), 6s);
  EXPECT_EQ(t.reply, "421 4.4.2 lmtp.test Timeout during data transfer, closing connection");
  EXPECT_GE(t.after, 1700ms);
  EXPECT_LE(t.after, 3s);
  EXPECT_TRUE(c->closed_by_peer());
  EXPECT_FALSE(std::filesystem::exists(alice() / "new"));
}

// BDAT gets idle_timeout plus its announced size at min_data_rate: here 2s + 100000 / 100000 per second.
TEST_F(LmtpdTest, BdatSentAByteASecondIsClosedAtItsDeadline) {
  start("idle_timeout = 2s\nmin_data_rate = 100000\n");
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  c->send("BDAT 100000 LAST\r\n");
  const auto t = trickle(*c, smtp_data(test_message("trickled")), 7s);
  EXPECT_EQ(t.reply, "421 4.4.2 lmtp.test Timeout during data transfer, closing connection");
  EXPECT_GE(t.after, 2700ms);  // the chunk's second at min_data_rate was granted
  EXPECT_LE(t.after, 4s);
  EXPECT_TRUE(c->closed_by_peer());
  EXPECT_FALSE(std::filesystem::exists(alice() / "new"));
}

// Fifty clients at a byte a second (50 bytes/s in all) used to hold fifty sessions for ever.
TEST_F(LmtpdTest, FiftySlowClientsAreClosedWhileARealClientDelivers) {
  start("idle_timeout = 2s\nmax_sessions = 60\n");
  std::vector<std::unique_ptr<LineClient>> slow;
  for (int i = 0; i < 50; ++i) slow.push_back(connect());
  std::vector<Trickled> results(slow.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < slow.size(); ++i) {
    threads.emplace_back(
        [&, i] { results[i] = trickle(*slow[i], "LHLO slow-client-" + std::to_string(i) + "\r\n", 6s); });
  }
  auto c = connect();
  c->command("LHLO client.test");
  EXPECT_EQ(deliver_to_alice(*c, "meanwhile"), "250 2.0.0 <alice@example.org> Delivered");
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < slow.size(); ++i) {
    EXPECT_EQ(results[i].reply, "421 4.4.2 lmtp.test Idle timeout, closing connection") << "client " << i;
    EXPECT_LE(results[i].after, 3500ms) << "client " << i;
  }
  EXPECT_EQ(read_mailbox("maildir", alice()), "meanwhile\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
}

// A chunk over max_message_size cannot be skipped safely: 552 and the connection closes, at once.
TEST_F(LmtpdTest, BdatOverMaxMessageSizeIsRefusedAtOnceAndCloses) {
  start("max_message_size = 2K\n");
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    EXPECT_EQ(c->command("BDAT 18446744073709551616"), "501 5.5.4 Syntax: BDAT size [LAST]");  // 2^64
    const auto message = std::regex_replace(test_message("chunked"), std::regex("\n"), "\r\n");
    c->send("BDAT " + std::to_string(message.size()) + " LAST\r\n" + message);
    EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
  }
  const auto refused = [&](LineClient& c, const std::string& command) {
    const auto sent = std::chrono::steady_clock::now();
    EXPECT_EQ(c.command(command), "552 5.3.4 Message too big") << command;
    EXPECT_LT(std::chrono::steady_clock::now() - sent, 1s) << command;
    EXPECT_TRUE(c.closed_by_peer(2s)) << command;
  };
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    refused(*c, "BDAT 2049 LAST");
  }
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    c->send("BDAT 1500\r\n" + std::string(1500, 'x'));
    EXPECT_EQ(c->reply(), "250 2.0.0 1500 octets received");
    refused(*c, "BDAT 600 LAST");  // 2100 octets in all
  }
  {
    auto c = connect();  // without a transaction the chunk would be read to be discarded: 2^64 - 1 octets
    c->command("LHLO client.test");
    refused(*c, "BDAT 18446744073709551615 LAST");
  }
  EXPECT_EQ(read_mailbox("maildir", alice()), "chunked\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
}

// A client well above min_data_rate may take far longer than idle_timeout over a large message.
TEST_F(LmtpdTest, ALargeMessageTakingLongerThanIdleTimeoutIsDelivered) {
  start("idle_timeout = 1s\nmin_data_rate = 500000\n");
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  std::string block;
  while (block.size() < 64 * 1024) block += "a line of a large message sent at about 1.3 MB/s .............\r\n";
  const auto started = std::chrono::steady_clock::now();
  c->send("Subject: large\r\n\r\n");
  for (int i = 0; i < 64; ++i) {  // 4 MiB, 64 KiB every 50 ms: three seconds
    c->send(block);
    std::this_thread::sleep_for(50ms);
  }
  c->send(".\r\n");
  EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
  EXPECT_GT(std::chrono::steady_clock::now() - started, 2s);  // over two idle_timeouts
  const auto file = std::filesystem::directory_iterator(alice() / "new")->path();
  EXPECT_GT(std::filesystem::file_size(file), 4'000'000U);
}

TEST_F(LmtpdTest, DeliveryStillRunningAtDataDeadlineIsDeferred) {
  // alice's Maildir is held exclusively by an administrator for longer than data_deadline allows.
  auto text = config_text("data_deadline = 1s\n");
  text.replace(text.find("lock_timeout = 1s"), 17, "lock_timeout = 4s");
  start_with(text);
  std::filesystem::create_directories(alice());
  const auto lock = alice() / "letterbox.lock";
  Background holder(
      {"flock", "-x", lock.string(), "sh", "-c", "touch " + (tmp_ / "held").string() + "; exec sleep 600"});
  ASSERT_TRUE(wait_for_file(tmp_ / "held"));
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("RCPT TO:<erin@example.org>"), "250 2.1.5 <erin@example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  const auto sent = std::chrono::steady_clock::now();
  c->send(smtp_data(test_message("slow")));
  EXPECT_EQ(c->reply(), "451 4.3.0 <alice@example.org> Local delivery error");
  EXPECT_EQ(c->reply(), "250 2.0.0 <erin@example.org> Delivered");
  const auto waited = std::chrono::steady_clock::now() - sent;
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 3s);  // well before the lock wait itself would have ended
  // The session goes on; the late delivery gives up at lock_timeout and leaves nothing behind.
  EXPECT_EQ(c->command("RSET"), "250 2.0.0 OK");
  std::this_thread::sleep_for(3500ms);
  EXPECT_TRUE(!std::filesystem::exists(alice() / "new") || std::filesystem::is_empty(alice() / "new"));
  EXPECT_EQ(read_mailbox("mbox", mail_root() / "example.org" / "erin.mbox"),
            "slow\tOK\t<sender@client.test>\terin@example.org\ncount 1\n");
  // The log tells both what the client was told and what became of the late delivery.
  const auto log = read_file(tmp_ / "lmtpd.log");
  EXPECT_NE(log.find("to=<alice@example.org> mailbox=example.org/alice/Maildir"), std::string::npos) << log;
  EXPECT_NE(log.find("result=\"451 4.3.0 <alice@example.org> Local delivery error\""), std::string::npos) << log;
  EXPECT_NE(log.find("result=\"450 4.2.0 <alice@example.org> Mailbox locked, try again later\""), std::string::npos)
      << log;
}

// Without --foreground the server detaches: the command returns 0 once the listeners are bound.
TEST_F(LmtpdTest, DetachesWithoutForeground) {
  write_file(config(), config_text());
  const auto r = run({LETTERBOX_LMTPD_PATH, "-c", config().string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(std::filesystem::exists(socket_path()));
  const pid_t daemon = process_with_argument(config().string());
  ASSERT_GT(daemon, 0);
  struct Stopper {
    pid_t pid;
    ~Stopper() { kill(pid, SIGKILL); }
  } stopper{daemon};
  EXPECT_NE(daemon, getppid());
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  c->send(smtp_data(test_message("detached")));
  EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
  EXPECT_EQ(c->command("QUIT"), "221 2.0.0 lmtp.test closing connection");
  ASSERT_EQ(kill(daemon, SIGTERM), 0);
  EXPECT_TRUE(wait_until([&] { return !process_running(daemon); }, 10s));
  EXPECT_EQ(read_mailbox("maildir", alice()), "detached\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
}

// A delivery that takes longer than idle_timeout is work, not idleness: the session must neither time
// out nor busy-wait meanwhile.
TEST_F(LmtpdTest, ADeliveryOutlastingIdleTimeoutIsNotIdleAndCostsNoCpu) {
  auto text = config_text("idle_timeout = 1s\n");
  text.replace(text.find("lock_timeout = 1s"), 17, "lock_timeout = 3s");
  start_with(text);
  std::filesystem::create_directories(alice());
  Background holder({"flock", "-x", (alice() / "letterbox.lock").string(), "sh", "-c",
                     "touch " + (tmp_ / "held").string() + "; exec sleep 600"});
  ASSERT_TRUE(wait_for_file(tmp_ / "held"));
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  const double cpu_before = cpu_seconds(server_->pid());
  c->send(smtp_data(test_message("waits")));
  std::this_thread::sleep_for(2s);
  holder.stop();  // released after two idle_timeouts: the delivery goes ahead
  EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
  EXPECT_LT(cpu_seconds(server_->pid()) - cpu_before, 0.5);
  EXPECT_EQ(read_mailbox("maildir", alice()), "waits\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
}

TEST_F(LmtpdTest, SigtermTellsIdleSessionsAndExitsZero) {
  start();
  auto c = connect();
  c->command("LHLO client.test");
  EXPECT_EQ(server_->signal_and_wait(SIGTERM), 0);
  server_.reset();
  EXPECT_EQ(c->reply(), "421 4.3.2 lmtp.test Service shutting down, closing connection");
  EXPECT_FALSE(std::filesystem::exists(socket_path()));
}

TEST_F(LmtpdTest, SighupReloadsAndRefusesABadConfiguration) {
  start();
  write_file(config(), config_text("max_recipients = 1\n").replace(config_text().find("max_recipients = 5\n"), 19, ""));
  kill(server_->pid(), SIGHUP);
  std::this_thread::sleep_for(500ms);
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    EXPECT_EQ(c->command("RCPT TO:<ali@example.org>"), "452 4.5.3 Too many recipients");
  }
  write_file(config(), "[server]\nmax_recipients = many\n");
  kill(server_->pid(), SIGHUP);
  std::this_thread::sleep_for(500ms);
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");  // still running
  const auto log = read_file(tmp_ / "lmtpd.log");
  EXPECT_NE(log.find("reload refused, keeping the running configuration: " + config().string() +
                     ":2: key 'max_recipients' in [server]: bad value 'many'"),
            std::string::npos)
      << log;
}

TEST_F(LmtpdTest, CheckConfig) {
  write_file(config(), config_text());
  auto r = run({LETTERBOX_LMTPD_PATH, "-c", config().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("[server]\nlisten = inet:127.0.0.1:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("max_recipients = 5\n"), std::string::npos);
  write_file(config(), "[delivery]\nlock_timeout = never\n");
  r = run({LETTERBOX_LMTPD_PATH, "-c", config().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, EX_CONFIG);
  EXPECT_EQ(r.output, "letterbox-lmtpd: " + config().string() +
                          ":2: key 'lock_timeout' in [delivery]: bad value 'never': expected a duration such as "
                          "500ms, 10s, 5m, 1h or 2d\n");
  // A UNIX socket in a directory that does not exist (a missing /run/letterbox) would stop the start.
  const auto missing = tmp_ / "no-such-dir" / "lmtp.sock";
  write_file(config(), std::regex_replace(config_text(), std::regex("unix:[^\n]*"), "unix:" + missing.string()));
  r = run({LETTERBOX_LMTPD_PATH, "-c", config().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, EX_CONFIG);
  EXPECT_NE(r.output.find("letterbox-lmtpd: error: " + config().string() +
                          ":2: key 'listen' in [server]: the directory of " + missing.string() + " does not exist"),
            std::string::npos)
      << r.output;
  // proxy = yes without host_attribute relays nothing: worth a warning, not a refusal to start.
  write_file(config(),
             std::regex_replace(config_text("proxy = yes\n"), std::regex("host_attribute = letterboxHost\n"), ""));
  r = run({LETTERBOX_LMTPD_PATH, "-c", config().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: " + config().string() +
                          ":7: key 'proxy' in [server]: yes, but [ldap] host_attribute is empty: every mailbox is "
                          "here, none is relayed"),
            std::string::npos)
      << r.output;
}

// letterbox-lmtpd and letterbox-lda on one [ldap] cache_file: what one learns, the other serves, through
// a directory outage.
TEST_F(LmtpdTest, SharesTheDirectoryCacheWithTheLda) {
  const auto cache = tmp_ / "run" / "directory.cache";
  std::filesystem::create_directories(cache.parent_path());
  start_with(std::regex_replace(config_text(), std::regex("\n\\[delivery\\]"),
                                "\ncache_file = " + cache.string() + "\n[delivery]"));
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");  // the server learns
  }
  // The LDA learns bob.
  auto r =
      run_split({LETTERBOX_LDA_PATH, "-c", config().string(), "-a", "bob.builder@example.org"}, test_message("b1"));
  ASSERT_EQ(r.exit_code, EX_OK) << r.err;
  slapd_.stop();
  r = run_split({LETTERBOX_LDA_PATH, "-c", config().string(), "-a", "alice@example.org"}, test_message("a1"));
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<bob.builder@example.org>"), "250 2.1.5 <bob.builder@example.org> OK");
  EXPECT_EQ(c->command("RCPT TO:<nosuchuser@example.org>"),
            "450 4.4.3 <nosuchuser@example.org> Directory unavailable, try again later");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  c->send(smtp_data(test_message("b2")));
  EXPECT_EQ(c->reply(), "250 2.0.0 <bob.builder@example.org> Delivered");
  EXPECT_EQ(read_mailbox("maildir", alice()), "a1\tOK\t<>\talice@example.org\ncount 1\n");
}

TEST_F(LmtpdTest, MetricsCountRealDeliveriesAndTheLdasThroughTheSharedCache) {
  const int stats_port = free_port();
  const auto cache = tmp_ / "run" / "directory.cache";
  std::filesystem::create_directories(cache.parent_path());
  start_with(std::regex_replace(config_text(), std::regex("\n\\[delivery\\]"),
                                "\ncache_file = " + cache.string() + "\n[delivery]") +
             "[stats]\nlisten = inet:127.0.0.1:" + std::to_string(stats_port) + "\n");
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    EXPECT_EQ(c->command("RCPT TO:<nobody@example.org>"), "550 5.1.1 <nobody@example.org> User unknown");
    EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
    c->send(smtp_data(test_message("m1")));
    EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
    EXPECT_EQ(c->command("QUIT"), "221 2.0.0 lmtp.test closing connection");
  }
  EXPECT_EQ(
      run_split({LETTERBOX_LDA_PATH, "-c", config().string(), "-a", "bob.builder@example.org"}, test_message("m2"))
          .exit_code,
      EX_OK);
  EXPECT_EQ(run_split({LETTERBOX_LDA_PATH, "-c", config().string(), "-a", "nobody@example.org"}, test_message("m3"))
                .exit_code,
            EX_NOUSER);

  std::string m;
  // The session's end is counted once the server has noticed it.
  EXPECT_TRUE(wait_until(
      [&] {
        const auto answer = http_get(stats_port, "/metrics");
        m = answer.body;
        return answer.status == 200 && has_sample(m, "letterbox_sessions_open 0");
      },
      5s))
      << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_build_info{program="letterbox-lmtpd",version=")" LETTERBOX_VERSION R"("} 1)"))
      << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_deliveries_total{code="250",enhanced="2.0.0"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_deliveries_total{code="550",enhanced="5.1.1"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_deliveries_total{code="450",enhanced="4.4.3"} 0)")) << m;
  EXPECT_TRUE(has_sample(m, "letterbox_delivery_duration_seconds_count 1")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_lda_deliveries_total{code="250",enhanced="2.0.0"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_lda_deliveries_total{code="550",enhanced="5.1.1"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_lookups_total{result="found",source="directory"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_lookups_total{result="unknown",source="directory"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, "letterbox_directory_lookup_duration_seconds_count 2")) << m;
  EXPECT_TRUE(has_sample(m, "letterbox_sessions_total 1")) << m;
  const auto lint = run({"promtool", "check", "metrics"}, m);
  EXPECT_EQ(lint.exit_code, 0) << lint.output;

  EXPECT_EQ(http_get(stats_port, "/").status, 404);
  EXPECT_EQ(http_get(stats_port, "/metrics/").status, 404);
  EXPECT_EQ(http_exchange(stats_port,
                          "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: "
                          "close\r\n\r\nhi")
                .status,
            404);
  EXPECT_EQ(http_exchange(stats_port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status, 404);
  EXPECT_EQ(http_exchange(stats_port, "not http at all\r\n\r\n").status, 0);
  // Several scrapes on one kept-alive connection, as Prometheus does.
  LineClient keep(stats_port);
  keep.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto both = keep.rest();
  EXPECT_TRUE(both.starts_with("HTTP/1.1 200 OK\r\n")) << both.substr(0, 200);
  EXPECT_NE(both.find("HTTP/1.1 404 Not Found\r\n"), std::string::npos);
  // Only the configured address serves it.
  EXPECT_TRUE(port_accepts(stats_port));
  const auto wildcard = run({"python3", "-c",
                             "import socket,sys\ns=socket.socket()\ns.settimeout(2)\n"
                             "sys.exit(s.connect_ex(('127.0.0.2'," +
                                 std::to_string(stats_port) + ")) == 0)"});
  EXPECT_EQ(wildcard.exit_code, 0) << "something answers on 127.0.0.2";
}

TEST_F(LmtpdTest, AMetricsAddressInUseIsLoggedAndMailFlows) {
  const int stats_port = port_;  // the LMTP listener holds it
  start_with(config_text() + "[stats]\nlisten = inet:127.0.0.1:" + std::to_string(stats_port) + "\n");
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_NE(read_file(tmp_ / "lmtpd.log")
                .find("metrics are off: cannot listen on inet:127.0.0.1:" + std::to_string(stats_port)),
            std::string::npos);
}

TEST_F(LmtpdTest, SocketActivationServesThePassedSocketInsteadOfListen) {
  const auto passed = tmp_ / "activated.sock";
  write_file(config(), config_text());
  server_ = std::make_unique<Background>(std::vector<std::string>{
      "systemd-socket-activate", "-l", passed.string(), LETTERBOX_LMTPD_PATH, "-c", config().string(), "--foreground"});
  ASSERT_TRUE(wait_for_file(passed));
  {
    // systemd-socket-activate starts the daemon at this first connection, with the socket as descriptor 3.
    LineClient c(passed);
    EXPECT_EQ(c.reply(), "220 lmtp.test LMTP Letterbox ready");
    c.command("LHLO client.test");
    EXPECT_EQ(c.command("MAIL FROM:<sender@client.test>"), "250 2.1.0 Sender OK");
    EXPECT_EQ(c.command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    EXPECT_EQ(c.command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
    c.send(smtp_data(test_message("s1")));
    EXPECT_EQ(c.reply(), "250 2.0.0 <alice@example.org> Delivered");
  }
  EXPECT_EQ(read_mailbox("maildir", alice()), "s1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  // The configured listeners were not made, and the passed socket is systemd's to remove, not ours.
  EXPECT_FALSE(std::filesystem::exists(socket_path()));
  EXPECT_FALSE(port_accepts(port_));
  EXPECT_NE(read_file(tmp_ / "lmtpd.log")
                .find("warning: serving the sockets systemd passed; [server] listen is not used: inet:127.0.0.1:" +
                      std::to_string(port_) + " unix:" + socket_path().string() + "\n"),
            std::string::npos)
      << read_file(tmp_ / "lmtpd.log");
  EXPECT_EQ(server_->signal_and_wait(SIGTERM), 0);
  EXPECT_TRUE(std::filesystem::is_socket(std::filesystem::symlink_status(passed)));
}

TEST_F(LmtpdTest, AllowFromRefusesOtherTcpPeersAndAlwaysServesTheUnixSocket) {
  start("allow_from = 127.0.0.2/32 192.0.2.0/24\n");
  {
    LineClient outside(port_);  // from 127.0.0.1
    EXPECT_EQ(outside.reply(), "554 5.7.1 Access denied");
    EXPECT_TRUE(outside.closed_by_peer());
  }
  {
    LineClient inside(port_, "127.0.0.2");
    EXPECT_EQ(inside.reply(), "220 lmtp.test LMTP Letterbox ready");
    inside.command("LHLO client.test");
    EXPECT_EQ(inside.command("MAIL FROM:<sender@client.test>"), "250 2.1.0 Sender OK");
    EXPECT_EQ(inside.command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    EXPECT_EQ(inside.command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
    inside.send(smtp_data(test_message("f1")));
    EXPECT_EQ(inside.reply(), "250 2.0.0 <alice@example.org> Delivered");
  }
  LineClient local(socket_path());
  EXPECT_EQ(local.reply(), "220 lmtp.test LMTP Letterbox ready");
  EXPECT_EQ(read_mailbox("maildir", alice()), "f1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  EXPECT_NE(read_file(tmp_ / "lmtpd.log").find("from 127.0.0.1 refused: not in [server] allow_from"),
            std::string::npos);
}

TEST_F(LmtpdTest, LogrotateWithSighupMovesTheLogAndTheDaemonWritesANewOne) {
  start();
  const auto log = tmp_ / "lmtpd.log";
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<nobody@example.org>"), "550 5.1.1 <nobody@example.org> User unknown");
  }
  // The shipped /etc/logrotate.d/letterbox, with the SIGHUP sent to this server instead of through systemd.
  auto rules = read_file(std::filesystem::path(LETTERBOX_SOURCE_DIR) / "etc" / "logrotate.d" / "letterbox");
  rules = std::regex_replace(rules, std::regex("/var/log/letterbox/\\*\\.log"), log.string());
  rules = std::regex_replace(rules, std::regex("\n\tsu [^\n]*\n\tcreate [^\n]*\n"), "\n\tcreate\n");
  rules = std::regex_replace(rules, std::regex("systemctl kill [^\n]*"), "kill -HUP " + std::to_string(server_->pid()));
  write_file(tmp_ / "logrotate.conf", rules);
  const auto rotated =
      run({"logrotate", "-f", "-s", (tmp_ / "logrotate.state").string(), (tmp_ / "logrotate.conf").string()});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.output << rules;
  ASSERT_TRUE(std::filesystem::exists(tmp_ / "lmtpd.log.1"));
  EXPECT_NE(read_file(tmp_ / "lmtpd.log.1").find("to=<nobody@example.org>"), std::string::npos);
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<nobody2@example.org>"), "550 5.1.1 <nobody2@example.org> User unknown");
  }
  EXPECT_TRUE(wait_until([&] { return read_file(log).find("to=<nobody2@example.org>") != std::string::npos; }, 5s))
      << read_file(log);
  EXPECT_EQ(read_file(tmp_ / "lmtpd.log.1").find("to=<nobody2@example.org>"), std::string::npos);
}

TEST_F(LmtpdTest, AnOverlappingRestartKeepsTheNewServersSocket) {
  // systemd (or an administrator) may start the new server before the old one has exited: the old
  // one's shutdown must not remove the socket the new one now serves.
  start();
  struct stat first {};
  ASSERT_EQ(::lstat(socket_path().c_str(), &first), 0);
  const auto second_config = tmp_ / "second.conf";
  auto text = std::regex_replace(config_text(), std::regex("inet:127\\.0\\.0\\.1:[0-9]+"),
                                 "inet:127.0.0.1:" + std::to_string(free_port()));
  write_file(second_config, std::regex_replace(text, std::regex("hostname = lmtp\\.test"), "hostname = second.test"));
  Background second({LETTERBOX_LMTPD_PATH, "-c", second_config.string(), "--foreground"});
  struct stat now {};
  for (int i = 0; i < 200; ++i) {
    if (::lstat(socket_path().c_str(), &now) == 0 && now.st_ino != first.st_ino) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_NE(now.st_ino, first.st_ino) << read_file(tmp_ / "lmtpd.log");
  server_->stop();
  server_.reset();
  ASSERT_TRUE(std::filesystem::exists(socket_path()));
  LineClient c(socket_path());
  EXPECT_EQ(c.reply(), "220 second.test LMTP Letterbox ready");
  second.stop();
  EXPECT_FALSE(std::filesystem::exists(socket_path()));
}

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
