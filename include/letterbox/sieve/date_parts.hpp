// The date extension's view of time (RFC 5260): a date header parsed as RFC 5322 §3.3 writes it (with the
// obsolete forms of §4.3: two-digit years, UT/GMT/EST.../military zones, comments), moved into a zone,
// and cut into the date-parts a test compares. No global state: the caller passes the local zone and "now".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace letterbox::sieve {

struct ZoneOffset {
  int minutes = 0;       // east of UTC
  bool unknown = false;  // "-0000": the time is UTC and the sender's zone is not known (RFC 5322 §3.3)
};

struct DateTime {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;  // 0..60
  ZoneOffset zone;
};

// nullopt if the text is not a date (RFC 5260 §4.2: the test is then false). Unknown alphabetic zones and
// the military letters count as "-0000" (RFC 5322 §4.3); a missing zone too. A three-digit year is 1900
// plus it (RFC 5322 §4.3), where Pigeonhole refuses the date.
std::optional<DateTime> parse_date_header(std::string_view text);

// The :zone argument: "+hhmm" or "-hhmm" exactly (RFC 5260 §4.1), hh up to 23 and mm up to 59.
std::optional<ZoneOffset> parse_zone(std::string_view text);

// The same instant as seen in `zone`.
DateTime in_zone(const DateTime& t, ZoneOffset zone);

// An instant (`epoch`: seconds since 1970 UTC, e.g. the delivery's "now" for currentdate) as seen in `zone`.
DateTime from_unix_time(std::int64_t epoch, ZoneOffset zone);

// "year" "month" "day" "date" "julian" "hour" "minute" "second" "time" "iso8601" "std11" "zone" "weekday",
// in any case, formatted as RFC 5260 §4.2 says; nullopt for another name. "zone" of an unknown zone is
// "-0000" (RFC 5322 §3.3; Pigeonhole says "+0000"), and iso8601 ends in "Z" for any zero offset.
std::optional<std::string> date_part(const DateTime& t, std::string_view part);

}  // namespace letterbox::sieve
