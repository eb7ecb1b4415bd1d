// The compiler on good scripts: every RFC example compiles, and the compiled form says what the script
// says (kinds, tags, strings with and without variables, decoded encoded characters).
#include <gtest/gtest.h>

#include <re2/re2.h>

#include "letterbox/sieve/compiler.hpp"
#include "letterbox/sieve/extensions.hpp"
#include "sieve_rfc_examples.hpp"

namespace letterbox::sieve {
namespace {

std::shared_ptr<const Script> compiled(std::string_view text) {
  auto result = compile(text);
  for (const auto& error : result.errors) ADD_FAILURE() << format_diagnostic("script", error);
  return result.script;
}

class RfcExample : public ::testing::TestWithParam<examples::Example> {};

TEST_P(RfcExample, Compiles) {
  const auto result = compile(GetParam().text);
  ASSERT_TRUE(result.ok()) << format_diagnostic(GetParam().name, result.errors.front());
}

INSTANTIATE_TEST_SUITE_P(Rfc, RfcExample, ::testing::ValuesIn(examples::rfc_examples()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(SieveCompiler, SupportsTheExtensionsOfTheSpecification) {
  const auto names = supported_extension_names();
  EXPECT_EQ(names.size(), 22U);
  EXPECT_EQ(find_extension("comparator-i;ascii-numeric"), Extension::comparator_ascii_numeric);
  EXPECT_EQ(find_extension("FILEINTO"), std::nullopt);  // RFC 5228 §3.2: capability names are exact
  EXPECT_EQ(extension_name(Extension::vacation_seconds), "vacation-seconds");
}

TEST(SieveCompiler, IfElsifElseBecomeOneCommandWithBranches) {
  const auto script = compiled(R"(require "fileinto";
if header :contains "from" "coyote" { discard; } elsif true { fileinto "x"; } else { keep; stop; })");
  ASSERT_TRUE(script);
  ASSERT_EQ(script->commands.size(), 1U);
  const Command& command = script->commands.front();
  EXPECT_EQ(command.kind, CommandKind::if_);
  ASSERT_EQ(command.branches.size(), 3U);
  EXPECT_EQ(command.branches[0].condition->kind, TestKind::header);
  EXPECT_EQ(command.branches[0].condition->match.type, MatchType::contains);
  EXPECT_EQ(command.branches[1].block.front().kind, CommandKind::fileinto);
  EXPECT_FALSE(command.branches[2].condition);
  EXPECT_EQ(command.branches[2].block.size(), 2U);
  EXPECT_TRUE(script->required.has(Extension::fileinto));
  EXPECT_EQ(command.where, (Position{2, 1}));
}

TEST(SieveCompiler, MatchOptionsAreTyped) {
  const auto script = compiled(R"(require ["relational", "comparator-i;ascii-numeric", "subaddress", "index"];
if address :count "ge" :comparator "i;ascii-numeric" :detail :index 2 :last "to" "3" { keep; })");
  ASSERT_TRUE(script);
  const sieve::Test& test = *script->commands.front().branches.front().condition;
  EXPECT_EQ(test.kind, TestKind::address);
  EXPECT_EQ(test.match.type, MatchType::count);
  EXPECT_EQ(test.match.relation, Relation::ge);
  EXPECT_EQ(test.match.comparator, Comparator::ascii_numeric);
  EXPECT_EQ(test.address_part, AddressPart::detail);
  EXPECT_EQ(test.index.index, 2U);
  EXPECT_TRUE(test.index.last);
  EXPECT_EQ(test.names.front().text, "to");
}

TEST(SieveCompiler, StringsKnowWhetherTheyHoldVariables) {
  const auto script = compiled(R"(require ["variables", "fileinto"];
fileinto "a${1}b"; fileinto "plain ${"; fileinto "${x.y}"; fileinto "$${a-b}";)");
  ASSERT_TRUE(script);
  EXPECT_TRUE(script->commands[0].arguments.front().has_variables);
  EXPECT_FALSE(script->commands[1].arguments.front().has_variables);
  EXPECT_TRUE(script->commands[2].arguments.front().has_variables);
  EXPECT_FALSE(script->commands[3].arguments.front().has_variables);
  // Without "variables" nothing is a reference.
  const auto plain = compiled(R"(require "fileinto"; fileinto "a${1}b";)");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->commands[0].arguments.front().has_variables);
}

TEST(SieveCompiler, EncodedCharactersAreDecodedOnlyWhenRequired) {
  const auto script = compiled(R"(require ["encoded-character", "fileinto"];
fileinto "$${hex:24 24}"; fileinto "${unicode:263A}"; fileinto "${hex:}"; fileinto "${hex:24}{hex:41}";)");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->commands[0].arguments.front().text, "$$$");
  EXPECT_EQ(script->commands[1].arguments.front().text, "\xE2\x98\xBA");
  EXPECT_EQ(script->commands[2].arguments.front().text, "${hex:}");    // not well-formed: left as written
  EXPECT_EQ(script->commands[3].arguments.front().text, "${hex:41}");  // one pass only
  const auto plain = compiled(R"(require "fileinto"; fileinto "${hex:41}";)");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->commands[0].arguments.front().text, "${hex:41}");
}

TEST(SieveCompiler, LiteralRegexesCompileOnceAndVariablesWait) {
  const auto script = compiled(R"(require ["regex", "variables"];
if header :regex "subject" ["^a+b$", "${x}"] { keep; })");
  ASSERT_TRUE(script);
  const Match& match = script->commands.front().branches.front().condition->match;
  ASSERT_EQ(match.regexes.size(), 2U);
  ASSERT_TRUE(match.regexes[0]);
  EXPECT_TRUE(RE2::FullMatch("AAB", *match.regexes[0]));  // i;ascii-casemap by default
  EXPECT_FALSE(match.regexes[1]);
}

TEST(SieveCompiler, VacationAndSetOptions) {
  const auto script = compiled(R"(require ["vacation-seconds", "variables"];
vacation :seconds 60 :subject "s" :from "me@example.com" :addresses ["a@b.c"] :mime :handle "h" "reason";
set :length :upper "n" "v";)");
  ASSERT_TRUE(script);
  const Vacation& v = script->commands[0].vacation;
  EXPECT_EQ(v.seconds, 60U);
  EXPECT_FALSE(v.days);
  EXPECT_EQ(v.subject->text, "s");
  EXPECT_TRUE(v.mime);
  EXPECT_EQ(v.reason.text, "reason");
  const Command& set = script->commands[1];
  EXPECT_EQ(set.variable->text, "n");
  EXPECT_EQ(set.modifiers, (std::vector<SetModifier>{SetModifier::upper, SetModifier::length}));
}

TEST(SieveCompiler, IhaveWithAnUnknownExtensionLeavesItsBlockUncompiled) {
  const auto script = compiled(R"(require "ihave";
if ihave "x-foo" { x_foo_command :weird 1; } elsif ihave "fileinto" { fileinto "a"; })");
  ASSERT_TRUE(script);
  EXPECT_TRUE(script->commands.front().branches[0].block.empty());
  EXPECT_EQ(script->commands.front().branches[1].block.front().kind, CommandKind::fileinto);
  EXPECT_FALSE(script->required.has(Extension::fileinto));
}

TEST(SieveCompiler, NamesAreCaseInsensitive) {
  // RFC 5228 §2.9-§2.10 identifiers and tags compare without case; Pigeonhole agrees.
  EXPECT_TRUE(compiled(R"(IF Header :IS "a" "b" { KEEP; } ELSE { Discard; })"));
}

TEST(SieveCompiler, AcceptsWhatPigeonholeOnlyWarnsAbout) {
  EXPECT_TRUE(compiled(R"(if header "not a:header" "x" { keep; })"));
  EXPECT_TRUE(compiled(R"(require "vacation"; vacation :days 0 "x";)"));
  EXPECT_TRUE(compiled("keep;\r stop; # lone\rCR\n"));
  EXPECT_TRUE(compiled(
      R"(redirect "\"odd local\"@example.com"; redirect "first.o'last+tag@example.com";)"));  // RFC 5228 wants CRLF; a
                                                                                              // lone CR is white space
  // RFC 6131 §2's example requires only vacation-seconds; Pigeonhole agrees that it implies vacation.
  EXPECT_TRUE(compiled(R"(require "vacation-seconds"; vacation :seconds 0 "x";)"));
}

TEST(SieveCompiler, LimitsAreChecked) {
  CompileOptions options;
  options.limits.max_script_bytes = 10;
  const auto result = compile("keep; keep; keep;", options);
  ASSERT_EQ(result.errors.size(), 1U);
  EXPECT_EQ(result.errors.front().message, "script too large (17 bytes, at most 10)");
}

}  // namespace
}  // namespace letterbox::sieve

namespace letterbox::sieve {
namespace {

std::string decoded(std::string_view literal) {
  const auto result =
      compile("require [\"encoded-character\", \"fileinto\"]; fileinto \"" + std::string(literal) + "\";");
  if (!result.ok()) return "error: " + result.errors.front().message;
  return result.script->commands.front().arguments.front().text;
}

TEST(SieveEncodedCharacter, FollowsTheGrammarOfRfc5228) {
  EXPECT_EQ(decoded("${hex:41 42\t43}"), "ABC");
  EXPECT_EQ(decoded("${HEX: 4}"), "\x04");
  EXPECT_EQ(decoded("${hex:414}"), "${hex:414}");  // a hex-pair has at most two digits: not an encoding
  EXPECT_EQ(decoded("${hex:4g}"), "${hex:4g}");
  EXPECT_EQ(decoded("${hex:41"), "${hex:41");
  EXPECT_EQ(decoded("${unicode:0000010FFFF}"), "\xF4\x8F\xBF\xBF");
  EXPECT_EQ(decoded("${unicode:e9}"), "\xC3\xA9");
  EXPECT_EQ(decoded("${unicode:110000}"), "error: invalid Unicode code point in \"${unicode:110000}\"");
  EXPECT_EQ(decoded("${unicode:DFFF}"), "error: invalid Unicode code point in \"${unicode:DFFF}\"");
  EXPECT_EQ(decoded("$${hex:24}{unicode:41}"), "$${unicode:41}");
}

}  // namespace
}  // namespace letterbox::sieve
