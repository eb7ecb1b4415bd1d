// letterbox-lmtpd's LMTP: replies, pipelining, BDAT, limits on lines and sizes, the directory's
// answers at RCPT, both kinds of socket.
#include <gtest/gtest.h>

#include <regex>

#include "lmtpd_fixture.hpp"

using namespace letterbox;
using namespace letterbox::test;
using namespace std::chrono_literals;

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
