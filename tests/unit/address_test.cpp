#include "letterbox/directory/address.hpp"

#include <gtest/gtest.h>

using namespace letterbox;

namespace {

std::optional<Address> parse(std::string_view text, std::string_view delimiters = "+") {
  std::string why;
  return parse_address(text, delimiters, why);
}

std::string why_not(std::string_view text) {
  std::string why;
  EXPECT_FALSE(parse_address(text, "+", why)) << text;
  return why;
}

}  // namespace

TEST(Address, LowerCasesForTheLookup) {
  const auto a = parse("Bob.Builder@Example.ORG");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->lookup_key(), "bob.builder@example.org");
  EXPECT_EQ(a->subaddress, "");
}

TEST(Address, SplitsTheSubaddressAndKeepsItsCase) {
  const auto a = parse("Alice+Lists.Debian@example.org");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->lookup_key(), "alice@example.org");
  EXPECT_EQ(a->subaddress, "Lists.Debian");
  EXPECT_EQ(parse("alice-x@example.org", "+-")->subaddress, "x");
  EXPECT_EQ(parse("alice+x@example.org", "")->local, "alice+x");
  EXPECT_EQ(parse("+x@example.org")->local, "+x");  // no user before the delimiter: not a subaddress
}

TEST(Address, AcceptsRfc5321Forms) {
  EXPECT_TRUE(parse("a@b"));
  EXPECT_TRUE(parse("first.last@sub.example.org"));
  EXPECT_TRUE(parse("o'neil!#$%&*/=?^_`{|}~@example.org"));
  EXPECT_TRUE(parse("\"john smith\"@example.org"));
  EXPECT_TRUE(parse("user@[192.0.2.1]"));
  EXPECT_TRUE(parse("user@[IPv6:2001:db8::1]"));
  EXPECT_TRUE(parse(std::string(64, 'a') + "@example.org"));
}

// What the MTA has accepted must not bounce on our syntax check: RFC 5321's length limits are minimums,
// and real addresses break them (SRS, VERP, long subaddresses), use '_' in domains, or use UTF-8.
TEST(Address, AcceptsWhatRealMtasPassOn) {
  const auto long_tag = parse("alice+" + std::string(100, 't') + "@example.org");
  ASSERT_TRUE(long_tag);
  EXPECT_EQ(long_tag->lookup_key(), "alice@example.org");
  EXPECT_EQ(long_tag->subaddress, std::string(100, 't'));
  EXPECT_TRUE(parse("SRS0=HHH=TT=example.com=" + std::string(60, 'x') + "@forwarder.example.net"));
  EXPECT_TRUE(parse("alice@mail_host.example.org"));
  EXPECT_TRUE(parse("jörg@example.org"));
  EXPECT_TRUE(parse("alice@exämple.org"));
  EXPECT_TRUE(parse("a@" + std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(63, 'd') + "." +
                    std::string(63, 'e')));  // 258 octets
}

TEST(Address, RefusesWhatRfc5321Refuses) {
  EXPECT_EQ(why_not(""), "empty address");
  EXPECT_EQ(why_not("alice"), "address has no domain");
  EXPECT_EQ(why_not("alice@"), "invalid domain");
  EXPECT_EQ(why_not("@example.org"), "invalid local part");
  EXPECT_EQ(why_not(".alice@example.org"), "invalid local part");
  EXPECT_EQ(why_not("al..ice@example.org"), "invalid local part");
  EXPECT_EQ(why_not("alice.@example.org"), "invalid local part");
  EXPECT_EQ(why_not("al ice@example.org"), "invalid local part");
  EXPECT_EQ(why_not("alice@exa mple.org"), "invalid domain");
  EXPECT_EQ(why_not("alice@-example.org"), "invalid domain");
  EXPECT_EQ(why_not("alice@example..org"), "invalid domain");
  EXPECT_EQ(why_not("alice)(uid=*@example.org"), "invalid local part");
  EXPECT_EQ(why_not(std::string("ali\0ce@example.org", 18)), "invalid local part");
  EXPECT_EQ(why_not("\"unterminated@example.org"), "invalid local part");
  EXPECT_EQ(why_not(std::string(501, 'a') + "@example.org"), "address longer than 500 octets");
  EXPECT_EQ(why_not("a@" + std::string(64, 'b') + ".org"), "invalid domain");  // a DNS label is at most 63
  EXPECT_EQ(why_not("alice@exa(mple.org"), "invalid domain");
}
