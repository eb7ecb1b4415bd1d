// ManageSieveParser: the commands of RFC 5804 as clients send them (sieve-connect, Roundcube's
// managesieve plugin, python3-sievelib), the literals of both kinds, and each way a line can be wrong,
// cut at every byte.
#include "managesieve_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace letterbox {
namespace {

using Status = ManageSieveLine::Status;
using Kind = ManageSieveArgument::Kind;

// A line as "NAME|arg|arg" with each argument marked by its kind (s: string, n: number, a: atom), or
// "!status: problem" for a failure.
std::string show(const ManageSieveLine& line) {
  if (line.status != Status::Ok) {
    const char* what = line.status == Status::BadSyntax     ? "bad"
                       : line.status == Status::LineTooLong ? "too long"
                                                            : "literal too large";
    return std::string("!") + what + ": " + line.problem;
  }
  std::string out = line.name;
  for (const auto& a : line.arguments) {
    out += a.kind == Kind::String ? "|s:" : a.kind == Kind::Number ? "|n:" : "|a:";
    out += a.text;
  }
  return out;
}

std::vector<std::string> parse(std::string_view bytes, std::size_t piece = 0, std::uint64_t max_literal = 1 << 20) {
  ManageSieveParser parser(max_literal);
  std::vector<std::string> lines;
  if (piece == 0) piece = bytes.size();
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    parser.feed(bytes.substr(at, piece));
    while (auto line = parser.next()) lines.push_back(show(*line));
  }
  return lines;
}

// The same lines whether the bytes come whole or one at a time.
std::vector<std::string> parse_every_way(std::string_view bytes, std::uint64_t max_literal = 1 << 20) {
  const auto whole = parse(bytes, 0, max_literal);
  EXPECT_EQ(parse(bytes, 1, max_literal), whole) << bytes;
  EXPECT_EQ(parse(bytes, 7, max_literal), whole) << bytes;
  return whole;
}

TEST(ManageSieveParser, CommandsAsClientsSendThem) {
  EXPECT_EQ(parse_every_way("CAPABILITY\r\n"), std::vector<std::string>{"CAPABILITY"});
  EXPECT_EQ(parse_every_way("Authenticate \"PLAIN\" \"AGFsaWNlAHNlY3JldA==\"\r\n"),
            std::vector<std::string>{"AUTHENTICATE|s:PLAIN|s:AGFsaWNlAHNlY3JldA=="});
  EXPECT_EQ(parse_every_way("HAVESPACE \"main\" 4096\r\n"), std::vector<std::string>{"HAVESPACE|s:main|n:4096"});
  EXPECT_EQ(parse_every_way("PUTSCRIPT \"main\" {26+}\r\nrequire \"fileinto\";\r\nkeep;\r\n"),
            std::vector<std::string>{"PUTSCRIPT|s:main|s:require \"fileinto\";\r\nkeep;"});
  // {n}, which some clients send although RFC 5804 gives clients only {n+}: read the same way.
  EXPECT_EQ(parse_every_way("CHECKSCRIPT {5}\r\nkeep;\r\nLOGOUT\r\n"),
            (std::vector<std::string>{"CHECKSCRIPT|s:keep;", "LOGOUT"}));
  EXPECT_EQ(parse_every_way("RENAMESCRIPT \"a \\\"b\\\"\" {3+}\r\nc\\d\r\n"),
            std::vector<std::string>{"RENAMESCRIPT|s:a \"b\"|s:c\\d"});
  // Bare LF line ends, extra spaces, an empty literal, an atom.
  EXPECT_EQ(
      parse_every_way("SETACTIVE  \"\"  \nPUTSCRIPT \"x\" {0+}\n\nSTARTTLS\n AUTHENTICATE PLAIN\n"),
      (std::vector<std::string>{"SETACTIVE|s:", "PUTSCRIPT|s:x|s:", "STARTTLS", "!bad: expected a command name"}));
  EXPECT_EQ(parse_every_way("AUTHENTICATE PLAIN\r\n"), std::vector<std::string>{"AUTHENTICATE|a:PLAIN"});
}

TEST(ManageSieveParser, ALiteralHoldsAnyOctetsLineEndsAndNulIncluded) {
  const std::string script("a\0b\r\n\"{9+}\r\n", 12);
  EXPECT_EQ(parse_every_way("PUTSCRIPT \"s\" {12+}\r\n" + script + "\r\nNOOP\r\n"),
            (std::vector<std::string>{"PUTSCRIPT|s:s|s:" + script, "NOOP"}));
}

TEST(ManageSieveParser, AContinuationLineIsArgumentsOnly) {
  ManageSieveParser parser(1024);
  parser.feed("AUTHENTICATE \"PLAIN\"\r\n");
  auto line = parser.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(show(*line), "AUTHENTICATE|s:PLAIN");
  parser.expect_continuation();
  parser.feed("{20+}\r\nAGFsaWNlAHNlY3JldA==\r\nNOOP\r\n");
  line = parser.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(show(*line), "|s:AGFsaWNlAHNlY3JldA==");
  line = parser.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(show(*line), "NOOP");
  parser.expect_continuation();
  parser.feed("\"*\"\r\n");
  line = parser.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(show(*line), "|s:*");
}

TEST(ManageSieveParser, EachBadLineIsNamedAndTheNextLineStillParses) {
  EXPECT_EQ(parse_every_way("\r\nNOOP\r\n"), (std::vector<std::string>{"!bad: expected a command name", "NOOP"}));
  EXPECT_EQ(parse_every_way("NOOP \"a\rb\"\r\nNOOP\r\n"),
            (std::vector<std::string>{"!bad: a quoted string may not hold CR, LF or NUL", "NOOP"}));
  EXPECT_EQ(parse_every_way("NOOP \"a\\nb\"\r\nNOOP\r\n"),
            (std::vector<std::string>{"!bad: in a quoted string only \\\" and \\\\ escape", "NOOP"}));
  EXPECT_EQ(parse_every_way("NOOP \"unterminated\nNOOP\r\n"),
            (std::vector<std::string>{"!bad: a quoted string may not hold CR, LF or NUL", "NOOP"}));
  EXPECT_EQ(parse_every_way("NOOP\"x\"\r\nNOOP\r\n"),
            (std::vector<std::string>{"!bad: expected a space between arguments", "NOOP"}));
  EXPECT_EQ(parse_every_way("NOOP (x)\r\nNOOP\r\n"),
            (std::vector<std::string>{"!bad: expected a string, a literal or a number", "NOOP"}));
  EXPECT_EQ(parse_every_way("NOOP {x}\r\nNOOP\r\n"),
            (std::vector<std::string>{"!bad: a literal is {n+} or {n}, then CRLF", "NOOP"}));
  EXPECT_EQ(parse_every_way("NOOP {3+} x\r\nNOOP\r\n"),
            (std::vector<std::string>{"!bad: a literal's size must end its line", "NOOP"}));
  EXPECT_EQ(parse_every_way("HAVESPACE \"a\" 4294967296\r\nNOOP\r\n"),
            (std::vector<std::string>{"!bad: a number over 4294967295", "NOOP"}));
  EXPECT_EQ(parse_every_way("NOOP 1 2 3 4 5 6 7 8 9\r\nNOOP\r\n"),
            (std::vector<std::string>{"!bad: too many arguments", "NOOP"}));
  EXPECT_EQ(parse_every_way("NOOP a\rb\r\nNOOP\r\n"),
            (std::vector<std::string>{"!bad: a CR not followed by LF", "NOOP"}));
  EXPECT_EQ(parse_every_way("NOOP \"" + std::string(1025, 'x') + "\"\r\nNOOP\r\n"),
            (std::vector<std::string>{"!bad: a quoted string over 1024 octets: send a literal", "NOOP"}));
}

TEST(ManageSieveParser, AnOverLongLineIsOneErrorAndSkipped) {
  const std::string line = "NOOP " + std::string(ManageSieveParser::kMaxLine + 100, 'x') + "\r\nNOOP\r\n";
  EXPECT_EQ(parse_every_way(line), (std::vector<std::string>{"!too long: a line over 8192 octets", "NOOP"}));
  // Literal octets do not count against it.
  const std::string big(20000, 's');
  EXPECT_EQ(parse_every_way("PUTSCRIPT \"a\" {20000+}\r\n" + big + "\r\n"),
            std::vector<std::string>{"PUTSCRIPT|s:a|s:" + big});
}

TEST(ManageSieveParser, AnOverLargeLiteralIsReportedAtItsHeaderAndItsOctetsSkipped) {
  ManageSieveParser parser(100);
  parser.feed("PUTSCRIPT \"big\" {5000+}\r\n");
  auto line = parser.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(line->status, Status::LiteralTooLarge);
  EXPECT_EQ(line->name, "PUTSCRIPT");
  EXPECT_EQ(line->literal_size, 5000U);
  EXPECT_EQ(line->problem, "a literal of 5000 octets, over the 100 allowed");
  // Its octets come in pieces, with NOOP look-alikes in them; none is a command.
  for (int i = 0; i < 50; ++i) {
    parser.feed(std::string(92, 'x') + "\r\nNOOP\r\n");  // 100 octets
    EXPECT_FALSE(parser.next());
  }
  parser.feed("\r\nNOOP\r\n");
  line = parser.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(show(*line), "NOOP");
  EXPECT_EQ(parser.buffered(), 0U);
  // Literals of one line count together.
  EXPECT_EQ(
      parse_every_way(
          "RENAMESCRIPT {60+}\r\n" + std::string(60, 'a') + " {60+}\r\n" + std::string(60, 'b') + "\r\nNOOP\r\n", 100),
      (std::vector<std::string>{"!literal too large: a literal of 60 octets, over the 100 allowed", "NOOP"}));
}

TEST(ManageSieveParser, WhatCameBeforeStartTlsIsForgotten) {
  ManageSieveParser parser(100);
  parser.feed("STARTTLS\r\nAUTHENTICATE \"PLAIN\" \"x\"\r\nNOOP");
  auto line = parser.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(show(*line), "STARTTLS");
  parser.discard_input();
  EXPECT_FALSE(parser.next());
  parser.feed("CAPABILITY\r\n");
  line = parser.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(show(*line), "CAPABILITY");
}

}  // namespace
}  // namespace letterbox
