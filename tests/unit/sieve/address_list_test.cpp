// Address headers as the address test sees them (RFC 5322 §3.4, RFC 5228 §2.7.4, RFC 5233).
#include "letterbox/sieve/address_list.hpp"

#include <gtest/gtest.h>

namespace letterbox::sieve {
namespace {

std::vector<std::string> alls(std::string_view value) {
  std::vector<std::string> out;
  for (const auto& item : parse_address_list(value)) out.push_back(item.all);
  return out;
}

using Strings = std::vector<std::string>;

TEST(AddressList, DisplayNamesAndCommentsDropped) {
  EXPECT_EQ(alls("\"Joe Q. Public\" <john.q.public@example.com>"), Strings{"john.q.public@example.com"});
  EXPECT_EQ(alls("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"), Strings{"pete@silly.test"});
  EXPECT_EQ(alls("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>"),
            (Strings{"mary@x.test", "jdoe@example.org", "one@y.test"}));
  EXPECT_EQ(alls("c@(Chris's host.)public.example"), Strings{"c@public.example"});
  EXPECT_EQ(alls("(nested (comment) here) a@b"), Strings{"a@b"});
}

TEST(AddressList, GroupsGiveTheirMembers) {
  EXPECT_EQ(alls("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;"),
            (Strings{"c@a.test", "joe@where.test", "jdoe@one.test"}));
  EXPECT_TRUE(alls("Undisclosed recipients:;").empty());
  EXPECT_EQ(alls("g: a@b; c@d"), (Strings{"a@b", "c@d"}));
}

TEST(AddressList, QuotedLocalPartsUnquotedAndRequotedForAll) {
  const auto items = parse_address_list("\"john doe\"@example.com, \"plain\"@x.test, \"a\\\"b\"@c");
  ASSERT_EQ(items.size(), 3U);
  EXPECT_EQ(items[0].localpart, "john doe");
  EXPECT_EQ(items[0].all, "\"john doe\"@example.com");
  EXPECT_EQ(items[1].localpart, "plain");
  EXPECT_EQ(items[1].all, "plain@x.test");
  EXPECT_EQ(items[2].localpart, "a\"b");
}

TEST(AddressList, ObsoleteRoutesAndSpaces) {
  EXPECT_EQ(alls("<@route1,@route2:user@final.test>"), Strings{"user@final.test"});
  EXPECT_EQ(alls("john . doe @ example . com"), Strings{"john.doe@example.com"});
  EXPECT_EQ(alls("a@[192.0.2.1]"), Strings{"a@[192.0.2.1]"});
}

TEST(AddressList, EmptyMembersSkippedInvalidKept) {
  EXPECT_EQ(alls("a@b,,  ,c@d"), (Strings{"a@b", "c@d"}));
  const auto items = parse_address_list("not an address, @nolocal, nodomain@, <>");
  ASSERT_EQ(items.size(), 4U);
  for (const auto& item : items) EXPECT_FALSE(item.valid);
  EXPECT_EQ(items[0].all, "not an address");
  EXPECT_EQ(items[3].all, "");
  // Found by the sieve_message fuzz target: white space alone between <> (front() of an empty view).
  const auto blank = parse_address_list("one <   (comment) >");
  ASSERT_EQ(blank.size(), 1U);
  EXPECT_FALSE(blank[0].valid);
  EXPECT_EQ(blank[0].all, "");
}

TEST(AddressList, CappedItems) {
  std::string many;
  for (int i = 0; i < 5000; ++i) many += "a@b,";
  EXPECT_EQ(parse_address_list(many, 100).size(), 100U);
}

TEST(AddressPart, RfcParts) {
  const auto item = parse_address_list("Ken <ken+sieve@example.org>")[0];
  EXPECT_EQ(address_part(item, AddressPart::all), "ken+sieve@example.org");
  EXPECT_EQ(address_part(item, AddressPart::localpart), "ken+sieve");
  EXPECT_EQ(address_part(item, AddressPart::domain), "example.org");
  EXPECT_EQ(address_part(item, AddressPart::user), "ken");
  EXPECT_EQ(address_part(item, AddressPart::detail), "sieve");
}

TEST(AddressPart, SubaddressEdgeCases) {
  const auto plain = parse_address_list("ken@example.org")[0];
  EXPECT_EQ(address_part(plain, AddressPart::user), "ken");
  EXPECT_EQ(address_part(plain, AddressPart::detail), std::nullopt);  // no separator: matches no key
  const auto empty_detail = parse_address_list("ken+@example.org")[0];
  EXPECT_EQ(address_part(empty_detail, AddressPart::detail), "");
  const auto two = parse_address_list("a+b+c@x")[0];
  EXPECT_EQ(address_part(two, AddressPart::user), "a");
  EXPECT_EQ(address_part(two, AddressPart::detail), "b+c");
  EXPECT_EQ(address_part(two, AddressPart::detail, "--"), std::nullopt);
}

TEST(AddressPart, InvalidAddressHasOnlyAll) {
  const auto bad = parse_address_list("undisclosed")[0];
  EXPECT_EQ(address_part(bad, AddressPart::all), "undisclosed");
  EXPECT_EQ(address_part(bad, AddressPart::localpart), std::nullopt);
  EXPECT_EQ(address_part(bad, AddressPart::domain), std::nullopt);
  EXPECT_EQ(address_part(bad, AddressPart::user), std::nullopt);
}

TEST(AddressList, Utf8AddressesAndAngleOnly) {
  EXPECT_EQ(alls("J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc"
                 "cher.example>"),
            Strings{"j\xc3\xb6rg@b\xc3\xbc"
                    "cher.example"});
  EXPECT_EQ(alls("<a@b>"), Strings{"a@b"});
  EXPECT_EQ(alls("(only a comment)"), Strings{});
}

TEST(AddressList, SameAsPigeonholeSieveTest) {
  // Each checked against Pigeonhole's sieve-test: address :all / :user / :detail :matches "*".
  EXPECT_EQ(alls("not an address"), Strings{"not an address"});
  EXPECT_EQ(alls("<@r1,@r2:u@v>"), Strings{"u@v"});
  EXPECT_EQ(alls("\"john doe\"@example.com"), Strings{"\"john doe\"@example.com"});
  const auto item = parse_address_list("a+b+c@x")[0];
  EXPECT_EQ(address_part(item, AddressPart::user), "a");
  EXPECT_EQ(address_part(item, AddressPart::detail), "b+c");
}

TEST(AddressList, MembersStandAloneUnlikePigeonhole) {
  EXPECT_EQ(alls("junk, a@b"), (Strings{"junk", "a@b"}));
}

}  // namespace
}  // namespace letterbox::sieve
