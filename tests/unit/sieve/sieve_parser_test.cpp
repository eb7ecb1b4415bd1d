// The lexer and parser alone: the tree of RFC 5228 §8.2, strings with escapes, dot-stuffing and
// comments undone, numbers with quantifiers, and the bound on nesting.
#include <gtest/gtest.h>

#include "letterbox/sieve/parser.hpp"

namespace letterbox::sieve {
namespace {

ast::Tree parsed(std::string_view text) {
  auto result = parse(text);
  for (const auto& error : result.errors) ADD_FAILURE() << format_diagnostic("script", error);
  return std::move(result.tree);
}

TEST(SieveParser, CommandsArgumentsTestsAndBlocks) {
  const auto tree = parsed("if anyof (header :is [\"a\", \"b\"] \"c\", size :over 2K) {\n  keep;\n}\nstop;");
  ASSERT_EQ(tree.commands.size(), 2U);
  const auto& command = tree.commands[0];
  EXPECT_EQ(command.name, "if");
  ASSERT_TRUE(command.has_block);
  ASSERT_EQ(command.tests.size(), 1U);
  const auto& anyof = command.tests[0];
  EXPECT_TRUE(anyof.test_list);
  ASSERT_EQ(anyof.tests.size(), 2U);
  const auto& header = anyof.tests[0];
  ASSERT_EQ(header.arguments.size(), 3U);
  EXPECT_EQ(header.arguments[0].tag, "is");
  EXPECT_TRUE(header.arguments[1].bracketed);
  EXPECT_EQ(header.arguments[1].strings[1].text, "b");
  EXPECT_EQ(header.arguments[1].strings[1].where, (Position{1, 28}));
  EXPECT_EQ(anyof.tests[1].arguments[1].number, 2048U);
  EXPECT_EQ(command.block[0].where, (Position{2, 3}));
  EXPECT_EQ(tree.commands[1].where, (Position{4, 1}));
}

TEST(SieveParser, QuotedStringEscapes) {
  // RFC 5228 §2.4.2: \\ and \" are escapes; a backslash before anything else is dropped.
  const auto tree = parsed(R"(reject "a\\b\"c\d";)");
  EXPECT_EQ(tree.commands[0].arguments[0].strings[0].text, "a\\b\"cd");
}

TEST(SieveParser, MultiLineStringsUndoDotStuffing) {
  const auto tree = parsed("reject text:   # why\r\nline 1\r\n..dot\r\n.\r\n;\nkeep;");
  EXPECT_EQ(tree.commands[0].arguments[0].strings[0].text, "line 1\r\n.dot\r\n");
  EXPECT_EQ(tree.commands[1].where, (Position{6, 1}));
  const auto lf = parsed("reject text:\n.\n;");
  EXPECT_EQ(lf.commands[0].arguments[0].strings[0].text, "");
  // Only ".." is unstuffed: a single leading dot before text stays (Pigeonhole's lexer.svtest).
  EXPECT_EQ(parsed("reject text:\n.one\n..two\n...three\n.\n;").commands[0].arguments[0].strings[0].text,
            ".one\r\n.two\r\n..three\r\n");
}

// RFC 5228 §2.4.2: CR and LF appear in a string only as CRLF, so a line break inside a string is CRLF
// whether the file uses LF or CRLF (tests/sieve/README.md; Pigeonhole does the same).
TEST(SieveParser, LineBreaksInStringsAreCrlf) {
  EXPECT_EQ(parsed("reject text:\nline 1\n..dot\n.\n;").commands[0].arguments[0].strings[0].text, "line 1\r\n.dot\r\n");
  EXPECT_EQ(parsed("reject \"a\nb\";").commands[0].arguments[0].strings[0].text, "a\r\nb");
  EXPECT_EQ(parsed("reject \"a\r\nb\";").commands[0].arguments[0].strings[0].text, "a\r\nb");
}

TEST(SieveParser, NumbersWithQuantifiers) {
  const auto tree = parsed("x 1 1k 1M 1g 16G 18446744073709551615;");
  const auto& arguments = tree.commands[0].arguments;
  EXPECT_EQ(arguments[1].number, 1024U);
  EXPECT_EQ(arguments[2].number, 1048576U);
  EXPECT_EQ(arguments[3].number, 1073741824U);
  EXPECT_EQ(arguments[4].number, 17179869184U);
  EXPECT_EQ(arguments[5].number, 18446744073709551615U);
}

TEST(SieveParser, CommentsAnywhereBetweenTokens) {
  const auto tree = parsed("/* a */ keep /* b\n */ ; # c\n# d\nstop;");
  ASSERT_EQ(tree.commands.size(), 2U);
  EXPECT_EQ(tree.commands[1].where, (Position{4, 1}));
}

TEST(SieveParser, NestingIsBounded) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "if true {";
  const auto result = parse(deep);
  ASSERT_EQ(result.errors.size(), 1U);
  EXPECT_EQ(result.errors[0].message, "nesting too deep (more than 32 blocks and tests)");
  std::string tests = "if ";
  for (int i = 0; i < 100000; ++i) tests += "allof(";
  EXPECT_EQ(parse(tests).errors.size(), 1U);
}

TEST(SieveParser, LongStringListsAreBounded) {
  std::string list = "x [";
  for (int i = 0; i < 2000; ++i) list += "\"a\",";
  const auto result = parse(list + "\"a\"];");
  ASSERT_EQ(result.errors.size(), 1U);
  EXPECT_EQ(result.errors[0].message, "string list too long (more than 1024 strings)");
}

TEST(SieveParser, EmptyScriptIsValid) {
  EXPECT_TRUE(parse("").errors.empty());
  EXPECT_TRUE(parse("# nothing\n").errors.empty());
}

}  // namespace
}  // namespace letterbox::sieve
