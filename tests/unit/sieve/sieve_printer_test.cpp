// The printers' round trips over the RFC examples (the fuzz target's invariant, on known scripts):
// parse, print, parse gives the same tree; a compiled script prints to text that compiles to a script
// printing the same text.
#include <gtest/gtest.h>

#include "letterbox/sieve/compiler.hpp"
#include "letterbox/sieve/parser.hpp"
#include "letterbox/sieve/printer.hpp"
#include "sieve_rfc_examples.hpp"

namespace letterbox::sieve {
namespace {

class PrinterRoundTrip : public ::testing::TestWithParam<examples::Example> {};

TEST_P(PrinterRoundTrip, TreePrintsToTheSameTree) {
  const auto first = parse(GetParam().text);
  ASSERT_TRUE(first.errors.empty());
  const std::string printed = print(first.tree);
  const auto second = parse(printed);
  ASSERT_TRUE(second.errors.empty()) << printed;
  // Positions differ (spacing, comments); what was written does not, so the second print is identical.
  EXPECT_EQ(print(second.tree), printed);
  EXPECT_EQ(second.tree.commands.size(), first.tree.commands.size());
}

TEST_P(PrinterRoundTrip, ScriptPrintsToTextThatCompilesToItself) {
  const auto first = compile(GetParam().text);
  ASSERT_TRUE(first.ok());
  const std::string printed = print(*first.script);
  const auto second = compile(printed);
  ASSERT_TRUE(second.ok()) << printed << "\n" << format_diagnostic("printed", second.errors.front());
  EXPECT_EQ(print(*second.script), printed);
}

INSTANTIATE_TEST_SUITE_P(Rfc, PrinterRoundTrip, ::testing::ValuesIn(examples::rfc_examples()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(SievePrinter, PrintsOneCanonicalForm) {
  const auto result = compile(R"(require ["fileinto","copy"];
IF Header :Is :comparator "i;ascii-casemap" "Subject" "a \"b\"" { FileInto :copy "x"; } else { stop; })");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(print(*result.script), R"(require ["fileinto", "copy"];
if header ["Subject"] ["a \"b\""] {
  fileinto :copy "x";
}
else {
  stop;
}
)");
}

TEST(SievePrinter, KeepsDecodedDollarsFromBeingDecodedTwice) {
  const auto result = compile(R"(require ["encoded-character", "fileinto"]; fileinto "${hex:24}{hex:41}";)");
  ASSERT_TRUE(result.ok());
  const std::string printed = print(*result.script);
  EXPECT_NE(printed.find(R"(fileinto "${hex:24}{hex:41}";)"), std::string::npos) << printed;
  const auto again = compile(printed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.script->commands.front().arguments.front().text, "${hex:41}");
}

TEST(SievePrinter, EncodesAgainTheBytesOnlyAnEncodingCanWrite) {
  // Found by the fuzz target: ${unicode:0} is a valid code point, and a raw NUL would not parse back.
  const auto result = compile(R"(require ["encoded-character", "fileinto"]; fileinto "a${unicode:0}${hex:0d}b";)");
  ASSERT_TRUE(result.ok());
  const std::string printed = print(*result.script);
  EXPECT_NE(printed.find(R"(fileinto "a${hex:00}${hex:0D}b";)"), std::string::npos) << printed;
  const auto again = compile(printed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.script->commands.front().arguments.front().text, std::string("a\0\rb", 4));
}

}  // namespace
}  // namespace letterbox::sieve
