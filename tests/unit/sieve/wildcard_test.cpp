// :matches and :contains (RFC 5228 §2.7.1) and the match variables they leave (RFC 5229 §3.2).
#include "letterbox/sieve/wildcard.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace letterbox::sieve {
namespace {

using Strings = std::vector<std::string>;
constexpr auto kCasemap = Comparator::ascii_casemap;
constexpr auto kOctet = Comparator::octet;

TEST(Contains, SubstringsOfTheRfc) {
  EXPECT_TRUE(contains("frobnitzm", "frob", kOctet));
  EXPECT_TRUE(contains("frobnitzm", "nit", kOctet));
  EXPECT_FALSE(contains("frobnitzm", "fbm", kOctet));
  EXPECT_TRUE(contains("frobnitzm", "", kOctet));
  EXPECT_TRUE(contains("", "", kOctet));
  EXPECT_FALSE(contains("", "a", kOctet));
}

TEST(Contains, CaseFoldingFollowsTheComparator) {
  EXPECT_TRUE(contains("You can Make Money Fast", "MAKE MONEY FAST", kCasemap));
  EXPECT_FALSE(contains("You can Make Money Fast", "MAKE MONEY FAST", kOctet));
  EXPECT_FALSE(contains("123", "2", Comparator::ascii_numeric));
}

TEST(Contains, NeedleLongerThanOneMaskWord) {
  const std::string needle = std::string(70, 'x') + "Y" + std::string(1100, 'z');
  const std::string hay = std::string(500, 'x') + needle + "tail";
  EXPECT_TRUE(contains(hay, needle, kOctet));
  std::string near = hay;
  near[near.size() - 10] = 'q';
  EXPECT_FALSE(contains(near, needle, kOctet));
}

TEST(Matches, WholeValueMustMatch) {
  EXPECT_TRUE(wildcard_match("frobnitzm", "frob*", kOctet));
  EXPECT_TRUE(wildcard_match("frobnitzm", "*itzm", kOctet));
  EXPECT_TRUE(wildcard_match("frobnitzm", "f?ob*z?", kOctet));
  EXPECT_FALSE(wildcard_match("frobnitzm", "frob", kOctet));
  EXPECT_FALSE(wildcard_match("frobnitzm", "?", kOctet));
  EXPECT_TRUE(wildcard_match("", "*", kOctet));
  EXPECT_TRUE(wildcard_match("", "", kOctet));
  EXPECT_FALSE(wildcard_match("", "?", kOctet));
  EXPECT_FALSE(wildcard_match("ab", "a*b*a", kOctet));  // prefix and suffix may not overlap
  EXPECT_TRUE(wildcard_match("aba", "a*a", kOctet));
  EXPECT_FALSE(wildcard_match("a", "a*a", kOctet));
}

TEST(Matches, EscapesQuoteTheNextOctet) {
  // The script's "\\*" reaches us as \* once the string is unquoted.
  EXPECT_TRUE(wildcard_match("a*b", "a\\*b", kOctet));
  EXPECT_FALSE(wildcard_match("axb", "a\\*b", kOctet));
  EXPECT_TRUE(wildcard_match("a?", "a\\?", kOctet));
  EXPECT_FALSE(wildcard_match("ab", "a\\?", kOctet));
  EXPECT_TRUE(wildcard_match("a\\b", "a\\\\b", kOctet));
  EXPECT_TRUE(wildcard_match("ab", "a\\b", kOctet));    // quoting an ordinary octet is that octet
  EXPECT_TRUE(wildcard_match("ab\\", "ab\\", kOctet));  // a trailing '\' stands for itself
}

TEST(Matches, QuestionMarkIsOneOctet) {
  EXPECT_FALSE(wildcard_match("\xc3\xa9", "?", kOctet));
  EXPECT_TRUE(wildcard_match("\xc3\xa9", "??", kOctet));
}

TEST(Matches, CasemapAppliesToLiterals) {
  EXPECT_TRUE(wildcard_match("coyote@ACME.Example.COM", "coyote@**.com", kCasemap));
  EXPECT_FALSE(wildcard_match("coyote@ACME.Example.COM", "coyote@**.com", kOctet));
  EXPECT_FALSE(wildcard_match("5", "*", Comparator::ascii_numeric));
}

TEST(MatchesCaptures, Rfc5229Examples) {
  Strings c;
  ASSERT_TRUE(wildcard_match("[acme-users] [fwd] version 1.0 is out", "[*] *", kCasemap, &c));
  EXPECT_EQ(c, (Strings{"acme-users", "[fwd] version 1.0 is out"}));
  ASSERT_TRUE(wildcard_match("coyote@ACME.Example.COM", "coyote@**.com", kCasemap, &c));
  EXPECT_EQ(c, (Strings{"", "ACME.Example"}));
  ASSERT_TRUE(wildcard_match("Acme users <acme-users@lists.example.org>", "*<*@*", kCasemap, &c));
  EXPECT_EQ(c, (Strings{"Acme users ", "acme-users", "lists.example.org>"}));
}

TEST(MatchesCaptures, QuestionMarksAndStarsInPatternOrder) {
  Strings c;
  ASSERT_TRUE(wildcard_match("abcdef", "?b*e?", kOctet, &c));
  EXPECT_EQ(c, (Strings{"a", "cd", "f"}));
  ASSERT_TRUE(wildcard_match("a.b.c.d", "*.*", kOctet, &c));
  EXPECT_EQ(c, (Strings{"a", "b.c.d"}));
  ASSERT_TRUE(wildcard_match("xyz", "*", kOctet, &c));
  EXPECT_EQ(c, (Strings{"xyz"}));
  ASSERT_TRUE(wildcard_match("xyz", "xyz", kOctet, &c));
  EXPECT_TRUE(c.empty());
  ASSERT_TRUE(wildcard_match("aXbXc", "*x?x*", kCasemap, &c));
  EXPECT_EQ(c, (Strings{"a", "b", "c"}));
}

TEST(MatchesCaptures, SameAsPigeonholeSieveTest) {
  // Each checked against Pigeonhole's sieve-test with debug_log "${1}"...
  Strings c;
  ASSERT_TRUE(wildcard_match("banana split", "*a*a*", kCasemap, &c));
  EXPECT_EQ(c, (Strings{"b", "n", "na split"}));
  ASSERT_TRUE(wildcard_match("banana split", "?*n?*", kCasemap, &c));
  EXPECT_EQ(c, (Strings{"b", "a", "a", "na split"}));
  ASSERT_TRUE(wildcard_match("x*y*z", "*\\*?", kCasemap, &c));
  EXPECT_EQ(c, (Strings{"x*y", "z"}));
}

TEST(MatchesCaptures, LeftUntouchedWithoutAMatch) {
  Strings c{"kept"};
  EXPECT_FALSE(wildcard_match("abc", "x*", kOctet, &c));
  EXPECT_EQ(c, (Strings{"kept"}));
}

TEST(MatchesHostile, ManyStarsOnALongRunFinishInMilliseconds) {
  const std::string value(100 * 1024, 'a');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(wildcard_match(value, "*a*a*a*a*a*b", kOctet));
  EXPECT_TRUE(wildcard_match(value, "*a*a*a*a*a*a", kOctet));
  std::string pattern;
  for (int i = 0; i < 2000; ++i) pattern += "*a";
  EXPECT_FALSE(wildcard_match(value, pattern + "*b", kCasemap));
  EXPECT_FALSE(wildcard_match(value, "*" + std::string(500, 'a') + "b*", kCasemap));
  EXPECT_FALSE(contains(value, std::string(3000, 'a') + "b", kOctet));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 500);
}

}  // namespace
}  // namespace letterbox::sieve
