// RFC 4790's three comparators as Sieve uses them, with the RFC's own examples.
#include "letterbox/sieve/comparator.hpp"

#include <gtest/gtest.h>

namespace letterbox::sieve {
namespace {

TEST(Comparator, FoundByExactRegisteredName) {
  EXPECT_EQ(find_comparator("i;octet"), Comparator::octet);
  EXPECT_EQ(find_comparator("i;ascii-casemap"), Comparator::ascii_casemap);
  EXPECT_EQ(find_comparator("i;ascii-numeric"), Comparator::ascii_numeric);
  EXPECT_FALSE(find_comparator("i;unicode-casemap"));
  EXPECT_FALSE(find_comparator("I;OCTET"));
  EXPECT_EQ(comparator_name(Comparator::ascii_numeric), "i;ascii-numeric");
}

TEST(Comparator, OnlyNumericLacksSubstrings) {
  EXPECT_TRUE(supports_substring(Comparator::octet));
  EXPECT_TRUE(supports_substring(Comparator::ascii_casemap));
  EXPECT_FALSE(supports_substring(Comparator::ascii_numeric));
}

TEST(Comparator, OctetIsExactAndUnsigned) {
  EXPECT_TRUE(comparator_equal(Comparator::octet, "Frob", "Frob"));
  EXPECT_FALSE(comparator_equal(Comparator::octet, "Frob", "frob"));
  EXPECT_LT(comparator_order(Comparator::octet, "a", "\xc3\xa9"), 0);  // 0x61 < 0xc3, unsigned
  EXPECT_LT(comparator_order(Comparator::octet, "", "a"), 0);
  EXPECT_GT(comparator_order(Comparator::octet, "ab", "a"), 0);
  EXPECT_EQ(comparator_order(Comparator::octet, "", ""), 0);
}

TEST(Comparator, CasemapFoldsAsciiOnly) {
  EXPECT_TRUE(comparator_equal(Comparator::ascii_casemap, "MAKE MONEY", "make money"));
  EXPECT_FALSE(comparator_equal(Comparator::ascii_casemap, "\xc3\x89", "\xc3\xa9"));  // É and é differ
  EXPECT_TRUE(chars_equal(Comparator::ascii_casemap, 'Q', 'q'));
  EXPECT_FALSE(chars_equal(Comparator::octet, 'Q', 'q'));
}

TEST(Comparator, CasemapOrdersUpperCased) {
  // RFC 4790 §9.2 maps to upper case first, so '_' (0x5F) sorts after every letter.
  EXPECT_GT(comparator_order(Comparator::ascii_casemap, "_", "a"), 0);
  EXPECT_GT(comparator_order(Comparator::ascii_casemap, "_", "Z"), 0);
  EXPECT_EQ(comparator_order(Comparator::ascii_casemap, "abc", "ABC"), 0);
  EXPECT_LT(comparator_order(Comparator::ascii_casemap, "abc", "ABD"), 0);
}

TEST(Comparator, NumericExamplesOfRfc4790) {
  const auto c = Comparator::ascii_numeric;
  EXPECT_LT(comparator_order(c, "0", "1"), 0);
  EXPECT_LT(comparator_order(c, "1", "4294967298"), 0);
  EXPECT_EQ(comparator_order(c, "4294967298", "04294967298"), 0);
  EXPECT_EQ(comparator_order(c, "4294967298", "4294967298b"), 0);
  EXPECT_LT(comparator_order(c, "04294967298", ""), 0);
  EXPECT_EQ(comparator_order(c, "", "x"), 0);
  EXPECT_EQ(comparator_order(c, "x", "y"), 0);
  EXPECT_TRUE(comparator_equal(c, "x", "y"));
}

TEST(Comparator, NumericBeyondSixtyFourBits) {
  const auto c = Comparator::ascii_numeric;
  EXPECT_LT(comparator_order(c, "99999999999999999999999", "100000000000000000000000"), 0);
  EXPECT_EQ(comparator_order(c, "000", "0"), 0);
  EXPECT_GT(comparator_order(c, "10", "9"), 0);
  EXPECT_GT(comparator_order(c, "abc", "99999999999999999999999999"), 0);
}

}  // namespace
}  // namespace letterbox::sieve
