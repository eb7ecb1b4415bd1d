// match(): lists of values against lists of keys, relational :value/:count (RFC 5231), :regex, and the
// match variables a successful test leaves (RFC 5229 §3.2).
#include "letterbox/sieve/match.hpp"

#include <gtest/gtest.h>

namespace letterbox::sieve {
namespace {

using Strings = std::vector<std::string>;

MatchSpec spec(MatchType t, Comparator c = Comparator::ascii_casemap, Relation r = Relation::eq) {
  return {t, c, r};
}

TEST(Match, AnyValueAgainstAnyKey) {
  const Strings values{"one", "two"};
  EXPECT_TRUE(match(spec(MatchType::is), values, Strings{"x", "TWO"}).matched);
  EXPECT_FALSE(match(spec(MatchType::is), values, Strings{"x", "three"}).matched);
  EXPECT_FALSE(match(spec(MatchType::is), Strings{}, Strings{""}).matched);
  EXPECT_TRUE(match(spec(MatchType::is), Strings{""}, Strings{""}).matched);
  EXPECT_FALSE(match(spec(MatchType::is), Strings{"a"}, Strings{""}).matched);
}

TEST(Match, ComparatorsAllowedWithMatchTypes) {
  EXPECT_TRUE(match_type_allowed(MatchType::is, Comparator::ascii_numeric));
  EXPECT_TRUE(match_type_allowed(MatchType::value, Comparator::ascii_numeric));
  EXPECT_FALSE(match_type_allowed(MatchType::contains, Comparator::ascii_numeric));
  EXPECT_FALSE(match_type_allowed(MatchType::matches, Comparator::ascii_numeric));
  EXPECT_FALSE(match_type_allowed(MatchType::regex, Comparator::ascii_numeric));
  EXPECT_TRUE(match_type_allowed(MatchType::regex, Comparator::octet));
}

TEST(Match, RelationNames) {
  EXPECT_EQ(find_relation("gt"), Relation::gt);
  EXPECT_EQ(find_relation("NE"), Relation::ne);
  EXPECT_FALSE(find_relation("gte"));
  EXPECT_FALSE(find_relation(""));
}

TEST(Match, ValueComparesValueAgainstKey) {
  // RFC 5231 §5: header :value "lt" :comparator "i;ascii-numeric" "x-priority" "3"
  EXPECT_TRUE(
      match(spec(MatchType::value, Comparator::ascii_numeric, Relation::lt), Strings{"2"}, Strings{"3"}).matched);
  EXPECT_FALSE(
      match(spec(MatchType::value, Comparator::ascii_numeric, Relation::lt), Strings{"3"}, Strings{"3"}).matched);
  EXPECT_TRUE(
      match(spec(MatchType::value, Comparator::ascii_numeric, Relation::ge), Strings{"3"}, Strings{"3"}).matched);
  // A value with no digits is positive infinity: greater than every number.
  EXPECT_TRUE(
      match(spec(MatchType::value, Comparator::ascii_numeric, Relation::gt), Strings{"none"}, Strings{"99"}).matched);
  EXPECT_TRUE(
      match(spec(MatchType::value, Comparator::ascii_casemap, Relation::gt), Strings{"b"}, Strings{"A"}).matched);
  EXPECT_TRUE(
      match(spec(MatchType::value, Comparator::ascii_casemap, Relation::ne), Strings{"b"}, Strings{"B", "c"}).matched);
  EXPECT_FALSE(
      match(spec(MatchType::value, Comparator::ascii_casemap, Relation::ne), Strings{"b"}, Strings{"B"}).matched);
}

TEST(Match, CountCountsTheValues) {
  const Strings three{"a@x", "b@x", "c@x"};
  const auto numeric = Comparator::ascii_numeric;
  EXPECT_TRUE(match(spec(MatchType::count, numeric, Relation::ge), three, Strings{"2"}).matched);
  EXPECT_FALSE(match(spec(MatchType::count, numeric, Relation::gt), three, Strings{"3"}).matched);
  EXPECT_TRUE(match(spec(MatchType::count, numeric, Relation::eq), Strings{}, Strings{"0"}).matched);
  EXPECT_TRUE(match(spec(MatchType::count, numeric, Relation::eq), three, Strings{"5", "3"}).matched);
  // Under i;ascii-casemap the count is compared as text: "3" > "10".
  EXPECT_TRUE(match(spec(MatchType::count, Comparator::ascii_casemap, Relation::gt), three, Strings{"10"}).matched);
}

TEST(Match, MatchesSetsVariablesWithTheWholeValueFirst) {
  MatchVariables vars;
  const Strings values{"nothing", "coyote@ACME.Example.COM"};
  ASSERT_TRUE(match(spec(MatchType::matches), values, Strings{"wile@**.com", "coyote@**.com"}, &vars).matched);
  EXPECT_EQ(vars.values, (Strings{"coyote@ACME.Example.COM", "", "ACME.Example"}));
  EXPECT_EQ(vars.get(2), "ACME.Example");
  EXPECT_EQ(vars.get(9), "");
}

TEST(Match, FailedTestLeavesVariablesAlone) {
  MatchVariables vars{{"old", "1"}};
  EXPECT_FALSE(match(spec(MatchType::matches), Strings{"abc"}, Strings{"x*"}, &vars).matched);
  EXPECT_EQ(vars.values, (Strings{"old", "1"}));
  // Other match types never touch them.
  EXPECT_TRUE(match(spec(MatchType::contains), Strings{"abc"}, Strings{"b"}, &vars).matched);
  EXPECT_EQ(vars.values, (Strings{"old", "1"}));
}

TEST(Regex, UnanchoredSearchWithGroups) {
  MatchVariables vars;
  RegexCache cache;
  const auto r =
      match(spec(MatchType::regex), Strings{"Subject: [list-x] hello"}, Strings{"\\[([a-z]+)-(.)\\]"}, &vars, &cache);
  ASSERT_TRUE(r.matched);
  EXPECT_EQ(vars.values, (Strings{"[list-x]", "list", "x"}));
}

TEST(Regex, CasemapIsCaseInsensitiveOctetIsNot) {
  EXPECT_TRUE(match(spec(MatchType::regex), Strings{"HELLO"}, Strings{"^hel+o$"}).matched);
  EXPECT_FALSE(match(spec(MatchType::regex, Comparator::octet), Strings{"HELLO"}, Strings{"^hel+o$"}).matched);
}

TEST(Regex, PosixFeaturesAndAnchors) {
  EXPECT_TRUE(match(spec(MatchType::regex), Strings{"abc123"}, Strings{"^[[:alpha:]]{3}[[:digit:]]+$"}).matched);
  EXPECT_TRUE(match(spec(MatchType::regex), Strings{"x\ny"}, Strings{"x.y"}).matched);  // '.' takes a newline
  EXPECT_FALSE(match(spec(MatchType::regex), Strings{"a\nb"}, Strings{"^b"}).matched);  // ^ only at the start
}

TEST(Regex, LongestLeftmostMatchAndEmptyGroups) {
  MatchVariables vars;
  ASSERT_TRUE(match(spec(MatchType::regex), Strings{"xabcd"}, Strings{"(a|ab)(c|bcd)?"}, &vars).matched);
  EXPECT_EQ(vars.get(0), "abcd");
  // As Pigeonhole's sieve-test gives it (POSIX regexec): [abcd] [a] [bcd] [].
  ASSERT_TRUE(match(spec(MatchType::regex), Strings{"xabcd"}, Strings{"(a|ab)(c|bcd)(d*)"}, &vars).matched);
  EXPECT_EQ(vars.values, (Strings{"abcd", "a", "bcd", ""}));
  ASSERT_TRUE(match(spec(MatchType::regex), Strings{"b"}, Strings{"(a)?b"}, &vars).matched);
  EXPECT_EQ(vars.values, (Strings{"b", ""}));
}

TEST(Regex, InvalidExpressionIsAnError) {
  const auto r = match(spec(MatchType::regex), Strings{"x"}, Strings{"(unclosed"});
  EXPECT_FALSE(r.matched);
  EXPECT_NE(r.error.find("invalid regular expression"), std::string::npos);
  EXPECT_FALSE(match(spec(MatchType::regex), Strings{"aa"}, Strings{"(a)\\1"}).error.empty());  // no back-references
  EXPECT_FALSE(match(spec(MatchType::regex), Strings{"x"}, Strings{"\\d"}).error.empty());      // no Perl classes
  std::string why;
  EXPECT_EQ(Regex::compile("a", Comparator::ascii_numeric, why), nullptr);
  EXPECT_NE(why.find("i;ascii-numeric"), std::string::npos);
}

TEST(Regex, CacheReturnsTheSameCompiledExpression) {
  RegexCache cache(2);
  std::string why;
  const auto a = cache.get("a+", Comparator::octet, why);
  EXPECT_EQ(cache.get("a+", Comparator::octet, why), a);
  EXPECT_NE(cache.get("a+", Comparator::ascii_casemap, why), a);
  EXPECT_NE(cache.get("b", Comparator::octet, why), nullptr);  // over capacity: starts again, still works
  EXPECT_EQ(cache.get("(", Comparator::octet, why), nullptr);
}

TEST(Regex, PathologicalExpressionIsLinear) {
  const std::string value(100 * 1024, 'a');
  EXPECT_FALSE(match(spec(MatchType::regex), Strings{value}, Strings{"(a*)*b"}).matched);
  EXPECT_FALSE(match(spec(MatchType::regex), Strings{value}, Strings{"(a|aa)+$x"}).matched);
}

TEST(Match, NumericIsComparesNumbers) {
  EXPECT_TRUE(match(spec(MatchType::is, Comparator::ascii_numeric), Strings{"012abc"}, Strings{"12"}).matched);
  EXPECT_TRUE(match(spec(MatchType::is, Comparator::ascii_numeric), Strings{"none"}, Strings{"other"}).matched);
  EXPECT_FALSE(match(spec(MatchType::is, Comparator::ascii_numeric), Strings{"1"}, Strings{"x"}).matched);
}

TEST(Match, MatchOneWithoutCacheCompilesTheExpression) {
  std::string error;
  std::vector<std::string> captures;
  EXPECT_TRUE(match_one(spec(MatchType::regex), "abc", "b(c)", &captures, nullptr, error));
  EXPECT_EQ(captures, (Strings{"bc", "c"}));
  EXPECT_FALSE(match_one(spec(MatchType::regex), "abc", "[", nullptr, nullptr, error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace letterbox::sieve
