// Script names as RFC 5804 §1.6 allows them, less what would not be a safe file name NAME.sieve.
#include "letterbox/sieve/script_name.hpp"

#include <gtest/gtest.h>

using letterbox::sieve::script_name_problem;

TEST(SieveScriptName, TakesWhatTheRfcAllows) {
  EXPECT_EQ(script_name_problem("vacation"), "");
  EXPECT_EQ(script_name_problem("summer script 2026"), "");
  EXPECT_EQ(script_name_problem("Ferien \xC3\xA4\xC3\xB6\xC3\xBC"), "");  // UTF-8
  EXPECT_EQ(script_name_problem("a.b.sieve"), "");
  EXPECT_EQ(script_name_problem(std::string(128, 'x')), "");
}

TEST(SieveScriptName, RefusesWhatTheRfcForbids) {
  EXPECT_EQ(script_name_problem(""), "the name is empty");
  EXPECT_EQ(script_name_problem("tab\there"), "the name contains a control character");
  EXPECT_EQ(script_name_problem("del\x7F"), "the name contains a control character");
  EXPECT_EQ(script_name_problem("c1\xC2\x85"), "the name contains a control character");           // U+0085
  EXPECT_EQ(script_name_problem("line\xE2\x80\xA8sep"), "the name contains a control character");  // U+2028
  EXPECT_EQ(script_name_problem("par\xE2\x80\xA9sep"), "the name contains a control character");   // U+2029
  EXPECT_EQ(script_name_problem("latin1 \xE4"), "the name is not valid UTF-8");
  EXPECT_EQ(script_name_problem(std::string(129, 'x')), "the name is longer than 128 characters");
}

TEST(SieveScriptName, RefusesWhatWouldNotBeASafeFileName) {
  EXPECT_EQ(script_name_problem("../active"), "the name contains '/'");
  EXPECT_EQ(script_name_problem("a/b"), "the name contains '/'");
  EXPECT_EQ(script_name_problem(".hidden"), "the name starts with '.'");
  EXPECT_EQ(script_name_problem(".."), "the name starts with '.'");
  std::string long_utf8;
  for (int i = 0; i < 101; ++i) long_utf8 += "\xC3\xA4";  // 101 characters, 202 octets
  EXPECT_EQ(script_name_problem(long_utf8), "the name is longer than 200 octets");
}
