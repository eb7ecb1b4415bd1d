#include "lmtp_parser.hpp"

#include <gtest/gtest.h>

using namespace letterbox;
using Kind = LmtpEvent::Kind;

namespace {

std::vector<LmtpEvent> drain(LmtpParser& p) {
  std::vector<LmtpEvent> out;
  while (p.has_event()) out.push_back(p.next_event());
  return out;
}

// Runs a DATA transaction through the parser, fed in pieces of `step` bytes; returns the spooled text.
std::string data(const std::string& wire, std::size_t step, bool* too_long = nullptr, std::string* after = nullptr) {
  LmtpParser p;
  p.start_data();
  std::string text;
  bool ended = false;
  for (std::size_t i = 0; i < wire.size(); i += step) {
    p.feed(wire.substr(i, step));
    while (p.has_event()) {
      auto e = p.next_event();
      if (ended) {
        if (after != nullptr && e.kind == Kind::Command) *after += e.text + "|";
        continue;
      }
      if (e.kind == Kind::MessageText) text += e.text;
      if (e.kind == Kind::MessageEnd) {
        ended = true;
        if (too_long != nullptr) *too_long = e.line_too_long;
      }
    }
  }
  EXPECT_TRUE(ended) << "no end of data in: " << wire;
  return text;
}

}  // namespace

TEST(LmtpParser, CommandsOneAtATime) {
  LmtpParser p;
  p.feed("LHLO client\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDA");
  ASSERT_TRUE(p.has_event());
  EXPECT_EQ(p.next_event().text, "LHLO client");
  // Nothing past a command is parsed until it is asked for: the caller may switch to data mode first.
  EXPECT_GT(p.buffered(), 0U);
  ASSERT_TRUE(p.has_event());
  EXPECT_EQ(p.next_event().text, "MAIL FROM:<a@b>");
  ASSERT_TRUE(p.has_event());
  EXPECT_EQ(p.next_event().text, "RCPT TO:<c@d>");
  EXPECT_FALSE(p.has_event());
  p.feed("TA\nSubject: x\r\n");
  ASSERT_TRUE(p.has_event());
  EXPECT_EQ(p.next_event().text, "DATA");  // a bare LF is tolerated on commands
  p.start_data();
  ASSERT_TRUE(p.has_event());
  const auto text = p.next_event();
  EXPECT_EQ(text.kind, Kind::MessageText);
  EXPECT_EQ(text.text, "Subject: x\n");
}

TEST(LmtpParser, OverlongCommandLineKeepsFraming) {
  LmtpParser p;
  p.feed("NOOP " + std::string(600, 'x'));
  auto e = drain(p);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].kind, Kind::LineTooLong);
  p.feed(std::string(3000, 'y') + "\r\nNOOP\r\n");
  e = drain(p);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].kind, Kind::Command);
  EXPECT_EQ(e[0].text, "NOOP");
  // Exactly 512 octets with CRLF is allowed; 513 is not.
  p.feed(std::string(510, 'z') + "\r\n");
  EXPECT_EQ(drain(p)[0].kind, Kind::Command);
  p.feed(std::string(511, 'z') + "\r\n");
  EXPECT_EQ(drain(p)[0].kind, Kind::LineTooLong);
  // With a bare LF the same text is still too long (found by tests/fuzz/lmtp_parser): 510 is the most.
  p.feed(std::string(511, 'z') + "\n");
  EXPECT_EQ(drain(p)[0].kind, Kind::LineTooLong);
  p.feed(std::string(510, 'z') + "\n");
  EXPECT_EQ(drain(p)[0].kind, Kind::Command);
}

TEST(LmtpParser, BareCrOrNulInACommandIsRefusedAndFramingHolds) {
  // Found by tests/fuzz/lmtp_parser: "RCPT TO:<a\rb@x>" used to reach the session as one command.
  const std::string wire = std::string("RCPT TO:<a\rb@x>\r\nMAIL FROM:<") + '\0' + ">\r\nNOOP\r\n";
  for (std::size_t step = 1; step <= wire.size(); ++step) {
    LmtpParser p;
    for (std::size_t at = 0; at < wire.size(); at += step) p.feed(wire.substr(at, step));
    const auto e = drain(p);
    ASSERT_EQ(e.size(), 3U) << step;
    EXPECT_EQ(e[0].kind, Kind::BadCommandLine);
    EXPECT_EQ(e[1].kind, Kind::BadCommandLine);
    EXPECT_EQ(e[2].kind, Kind::Command);
    EXPECT_EQ(e[2].text, "NOOP");
  }
}

TEST(LmtpParser, DataIsDotUnstuffedAndStoredWithLf) {
  const std::string wire = "Subject: x\r\n\r\n..leading dot\r\n.\r\n";
  for (std::size_t step = 1; step <= wire.size(); ++step) {
    EXPECT_EQ(data(wire, step), "Subject: x\n\n.leading dot\n") << step;
  }
}

TEST(LmtpParser, OnlyCrLfDotCrLfEndsData) {
  // ".\n" and "\n.\r\n" (a bare LF before the dot) are content, not the end: no smuggling.
  const std::string wire = "a\r\n.\nb\n.\r\nc\r\n.\r\nRSET\r\n";
  for (std::size_t step = 1; step <= wire.size(); ++step) {
    std::string after;
    EXPECT_EQ(data(wire, step, nullptr, &after), "a\n\nb\n\nc\n") << step;
  }
}

TEST(LmtpParser, EmptyMessageAndBareLfLines) {
  EXPECT_EQ(data(".\r\n", 1), "");
  EXPECT_EQ(data("a\nb\r\nlone\rcr\r\n.\r\n", 1), "a\nb\nlone\rcr\n");
}

TEST(LmtpParser, OverlongTextLineIsFlaggedAndFramingHolds) {
  bool too_long = false;
  std::string after;
  data("ok\r\n" + std::string(999, 'x') + "\r\n.\r\nNOOP\r\n", 7, &too_long, &after);
  EXPECT_TRUE(too_long);
  too_long = true;
  data(std::string(998, 'x') + "\r\n.\r\n", 7, &too_long);  // 1000 octets with CRLF: allowed
  EXPECT_FALSE(too_long);
}

TEST(LmtpParser, BdatChunksAreCountedNotParsed) {
  LmtpParser p;
  p.start_chunk(8);
  p.feed("a\r\n.\r\nb\r");  // 8 octets: a lone "." line is content here
  p.feed("NOOP\r\n");
  auto e = drain(p);
  std::string text;
  for (const auto& ev : e) {
    if (ev.kind == Kind::MessageText) text += ev.text;
  }
  EXPECT_EQ(text, "a\n.\nb");
  ASSERT_GE(e.size(), 3U);
  EXPECT_EQ(e[e.size() - 2].kind, Kind::ChunkEnd);
  EXPECT_EQ(e.back().kind, Kind::Command);  // back in command mode right after the chunk
  EXPECT_EQ(e.back().text, "NOOP");
  EXPECT_EQ(p.finish_chunks(), "\r");  // the message ended with a lone CR: it is kept
}

TEST(LmtpParser, CrLfSplitAcrossChunks) {
  LmtpParser p;
  std::string text;
  p.start_chunk(2);
  p.feed("a\r");
  p.start_chunk(2);
  p.feed("\nb");
  for (auto e = drain(p); const auto& ev : e) {
    if (ev.kind == Kind::MessageText) text += ev.text;
  }
  EXPECT_EQ(text, "a\nb");
  EXPECT_EQ(p.finish_chunks(), "");
}

TEST(LmtpParser, ZeroLengthLastChunk) {
  LmtpParser p;
  p.start_chunk(0);
  auto e = drain(p);
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].kind, Kind::ChunkEnd);
}

// STARTTLS: what was pipelined behind it in the clear is forgotten, half lines and over-long ones too.
TEST(LmtpParser, DiscardInputForgetsWhatCameAfterTheCommand) {
  LmtpParser p;
  p.feed("STARTTLS\r\nMAIL FROM:<x@y>\r\nRCPT TO:<a@b");
  ASSERT_TRUE(p.has_event());
  EXPECT_EQ(p.next_event().text, "STARTTLS");
  p.discard_input();
  EXPECT_FALSE(p.has_event());
  EXPECT_EQ(p.buffered(), 0U);
  p.feed("LHLO client.test\r\n");
  const auto events = drain(p);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].text, "LHLO client.test");

  p.feed("STARTTLS\r\n" + std::string(600, 'x'));  // an over-long line begun in the clear
  EXPECT_EQ(p.next_event().text, "STARTTLS");
  p.discard_input();
  p.feed("NOOP\r\n");
  const auto after = drain(p);
  ASSERT_EQ(after.size(), 1U);
  EXPECT_EQ(after[0].kind, Kind::Command);
  EXPECT_EQ(after[0].text, "NOOP");
}
