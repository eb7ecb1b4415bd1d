// RFC 5260 date-parts from RFC 5322 dates, in the original zone and others.
#include "letterbox/sieve/date_parts.hpp"

#include <gtest/gtest.h>

namespace letterbox::sieve {
namespace {

std::string part(std::string_view header, std::string_view name) {
  const auto t = parse_date_header(header);
  if (!t) return "unparsed";
  return date_part(*t, name).value_or("no such part");
}

std::string part_in(std::string_view header, std::string_view zone, std::string_view name) {
  const auto t = parse_date_header(header);
  const auto z = parse_zone(zone);
  if (!t || !z) return "unparsed";
  return date_part(in_zone(*t, *z), name).value_or("no such part");
}

constexpr std::string_view kDate = "Wed, 03 Aug 2005 12:30:00 -0700";

TEST(DateParts, EveryPartInTheOriginalZone) {
  EXPECT_EQ(part(kDate, "year"), "2005");
  EXPECT_EQ(part(kDate, "month"), "08");
  EXPECT_EQ(part(kDate, "day"), "03");
  EXPECT_EQ(part(kDate, "date"), "2005-08-03");
  EXPECT_EQ(part(kDate, "julian"), "53585");
  EXPECT_EQ(part(kDate, "hour"), "12");
  EXPECT_EQ(part(kDate, "minute"), "30");
  EXPECT_EQ(part(kDate, "second"), "00");
  EXPECT_EQ(part(kDate, "time"), "12:30:00");
  EXPECT_EQ(part(kDate, "iso8601"), "2005-08-03T12:30:00-07:00");
  EXPECT_EQ(part(kDate, "std11"), "Wed, 03 Aug 2005 12:30:00 -0700");
  EXPECT_EQ(part(kDate, "zone"), "-0700");
  EXPECT_EQ(part(kDate, "weekday"), "3");
  EXPECT_EQ(part(kDate, "YEAR"), "2005");
  EXPECT_EQ(part(kDate, "fortnight"), "no such part");
}

TEST(DateParts, MovedIntoAnotherZone) {
  EXPECT_EQ(part_in(kDate, "+0100", "iso8601"), "2005-08-03T20:30:00+01:00");
  EXPECT_EQ(part_in(kDate, "+1400", "date"), "2005-08-04");
  EXPECT_EQ(part_in(kDate, "+1400", "weekday"), "4");
  EXPECT_EQ(part_in("Sat, 01 Jan 2000 00:30:00 +0000", "-0100", "std11"), "Fri, 31 Dec 1999 23:30:00 -0100");
  EXPECT_EQ(part_in("1 Mar 2024 00:00 +0000", "-0001", "date"), "2024-02-29");  // leap day
  EXPECT_EQ(part_in(kDate, "+0530", "time"), "01:00:00");
}

TEST(DateParts, ZoneArgument) {
  EXPECT_EQ(parse_zone("+0100")->minutes, 60);
  EXPECT_EQ(parse_zone("-0230")->minutes, -150);
  EXPECT_TRUE(parse_zone("-0000")->unknown);
  EXPECT_FALSE(parse_zone("+0000")->unknown);
  EXPECT_FALSE(parse_zone("0100"));
  EXPECT_FALSE(parse_zone("+2400"));
  EXPECT_FALSE(parse_zone("+0160"));
  EXPECT_FALSE(parse_zone("+01:00"));
}

TEST(DateParts, ObsoleteZones) {
  EXPECT_EQ(part("Wed, 03 Aug 2005 12:30:00 EST", "zone"), "-0500");
  EXPECT_EQ(part("Wed, 03 Aug 2005 12:30:00 PDT", "zone"), "-0700");
  EXPECT_EQ(part("Wed, 03 Aug 2005 12:30:00 GMT", "zone"), "+0000");
  EXPECT_EQ(part("Wed, 03 Aug 2005 12:30:00 UT", "zone"), "+0000");
  EXPECT_EQ(part("Wed, 03 Aug 2005 12:30:00 Z", "zone"), "-0000");  // military: unknown
  EXPECT_EQ(part("Wed, 03 Aug 2005 12:30:00 XYZT", "zone"), "-0000");
  EXPECT_EQ(part("Wed, 03 Aug 2005 12:30:00", "zone"), "-0000");
  // Pigeonhole's sieve-test: a zero offset, known or not, is "Z" in iso8601.
  EXPECT_EQ(part("Wed, 03 Aug 2005 12:30:00 Z", "iso8601"), "2005-08-03T12:30:00Z");
  EXPECT_EQ(part("Wed, 03 Aug 2005 12:30:00 +0000", "iso8601"), "2005-08-03T12:30:00Z");
  EXPECT_EQ(part("3 Aug 05 12:30 EST", "iso8601"), "2005-08-03T12:30:00-05:00");
  EXPECT_EQ(part_in("Wed, 03 Aug 2005 12:30:00 EST", "+0000", "hour"), "17");
}

TEST(DateParts, ObsoleteYearsCommentsAndSpacing) {
  EXPECT_EQ(part("3 Aug 05 12:30 -0700", "year"), "2005");
  EXPECT_EQ(part("3 Aug 99 12:30 -0700", "year"), "1999");
  EXPECT_EQ(part("3 Aug 105 12:30 -0700", "year"), "2005");
  EXPECT_EQ(part("3 Aug 2005 12:30 -0700", "second"), "00");
  EXPECT_EQ(part("Wed (midweek), 3 aug 2005 12:30:00 -0700 (PDT)", "date"), "2005-08-03");
  EXPECT_EQ(part("  Wed,3 Aug 2005\r\n 12:30:00 -0700", "time"), "12:30:00");
}

TEST(DateParts, UnparseableDatesRefused) {
  EXPECT_EQ(part("", "date"), "unparsed");
  EXPECT_EQ(part("yesterday", "date"), "unparsed");
  EXPECT_EQ(part("31 Feb 2005 12:30:00 +0000", "date"), "unparsed");
  EXPECT_EQ(part("3 Aug 2005 25:30:00 +0000", "date"), "unparsed");
  EXPECT_EQ(part("3 Aug 2005 12:61:00 +0000", "date"), "unparsed");
  EXPECT_EQ(part("3 Foo 2005 12:30:00 +0000", "date"), "unparsed");
  EXPECT_EQ(part("3 Aug 2005 12:30:00 +99", "date"), "unparsed");
  EXPECT_EQ(part("3 Aug 2005 12:30:00 +0000 extra words", "date"), "unparsed");
  EXPECT_EQ(part("2005-08-03T12:30:00Z", "date"), "unparsed");
}

TEST(DateParts, FromUnixTime) {
  const auto t = from_unix_time(1123097400, {60, false});  // 2005-08-03 19:30:00 UTC
  EXPECT_EQ(date_part(t, "iso8601"), "2005-08-03T20:30:00+01:00");
  EXPECT_EQ(date_part(from_unix_time(0, {}), "julian"), "40587");
}

TEST(DateParts, LeapYearsChecked) {
  EXPECT_EQ(part("29 Feb 2000 00:00:00 +0000", "date"), "2000-02-29");
  EXPECT_EQ(part("29 Feb 1900 00:00:00 +0000", "date"), "unparsed");
  EXPECT_EQ(part("29 Feb 2023 00:00:00 +0000", "date"), "unparsed");
}

}  // namespace
}  // namespace letterbox::sieve
