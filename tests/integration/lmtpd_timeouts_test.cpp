// letterbox-lmtpd's deadlines: idle_timeout, min_data_rate for DATA and BDAT, max_sessions, slow clients
// and slow deliveries.
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "lmtpd_fixture.hpp"

using namespace letterbox;
using namespace letterbox::test;
using namespace std::chrono_literals;

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
