#include "letterbox/sieve/date_parts.hpp"

#include <chrono>
#include <cstdio>
#include <vector>

#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

namespace {

using namespace std::chrono;

constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::string_view kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

struct NamedZone {
  std::string_view name;
  int hours;
};
constexpr NamedZone kNamedZones[] = {{"ut", 0},   {"gmt", 0},  {"utc", 0},  {"est", -5}, {"edt", -4}, {"cst", -6},
                                     {"cdt", -5}, {"mst", -7}, {"mdt", -6}, {"pst", -8}, {"pdt", -7}};

bool all_digits(std::string_view s, std::size_t min, std::size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int number(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}

// The words of the date with comments taken out (one pass, depth counted: no recursion).
std::vector<std::string_view> date_words(std::string_view text, std::string& buffer) {
  std::size_t depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (depth == 0) buffer += (c == ',' || c == '\t' || c == '\r' || c == '\n') ? ' ' : c;
    if (c == ')' && depth > 0) --depth;
  }
  std::vector<std::string_view> words;
  for (std::size_t pos = 0; pos < buffer.size() && words.size() < 8;) {
    const std::size_t start = buffer.find_first_not_of(' ', pos);
    if (start == std::string::npos) break;
    const std::size_t end = std::min(buffer.find(' ', start), buffer.size());
    words.emplace_back(std::string_view(buffer).substr(start, end - start));
    pos = end;
  }
  return words;
}

std::optional<ZoneOffset> header_zone(std::string_view word) {
  if (word.empty()) return ZoneOffset{0, true};
  if (word.front() == '+' || word.front() == '-') return parse_zone(word);
  for (char c : word) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return std::nullopt;
  }
  const std::string lower = ascii_lower(word);
  for (const auto& z : kNamedZones) {
    if (lower == z.name) return ZoneOffset{z.hours * 60, false};
  }
  return ZoneOffset{0, true};  // military letters and unknown names: RFC 5322 §4.3
}

bool parse_time(std::string_view word, DateTime& t) {
  const std::size_t c1 = word.find(':');
  const std::size_t c2 = c1 == std::string_view::npos ? c1 : word.find(':', c1 + 1);
  const auto h = word.substr(0, c1);
  const auto m = c1 == std::string_view::npos ? std::string_view() : word.substr(c1 + 1, c2 - c1 - 1);
  const auto s = c2 == std::string_view::npos ? std::string_view("00") : word.substr(c2 + 1);
  if (!all_digits(h, 1, 2) || !all_digits(m, 2, 2) || !all_digits(s, 2, 2)) return false;
  t.hour = number(h);
  t.minute = number(m);
  t.second = number(s);
  return t.hour <= 23 && t.minute <= 59 && t.second <= 60;
}

bool parse_day_month_year(std::string_view d, std::string_view m, std::string_view y, DateTime& t) {
  if (!all_digits(d, 1, 2) || !all_digits(y, 2, 4)) return false;
  t.day = number(d);
  t.year = number(y);
  if (y.size() == 2) t.year += t.year < 50 ? 2000 : 1900;  // RFC 5322 §4.3
  if (y.size() == 3) t.year += 1900;
  const std::string name = ascii_lower(m);
  t.month = 0;
  for (int i = 0; i < 12; ++i) {
    if (name == kMonths[i]) t.month = i + 1;
  }
  return t.month != 0 &&
         year_month_day(year(t.year), month(static_cast<unsigned>(t.month)), day(static_cast<unsigned>(t.day))).ok();
}

sys_seconds to_utc(const DateTime& t) {
  const sys_days days{year(t.year) / month(static_cast<unsigned>(t.month)) / day(static_cast<unsigned>(t.day))};
  return days + hours(t.hour) + minutes(t.minute) + seconds(t.second) - minutes(t.zone.minutes);
}

std::string two(int n) {
  char buf[16];
  (void)std::snprintf(buf, sizeof buf, "%02d", n);  // two digits always fit
  return buf;
}

std::string zone_text(ZoneOffset z, bool colon) {
  const int m = z.minutes < 0 ? -z.minutes : z.minutes;
  return std::string(z.minutes < 0 || z.unknown ? "-" : "+") + two(m / 60) + (colon ? ":" : "") + two(m % 60);
}

}  // namespace

std::optional<ZoneOffset> parse_zone(std::string_view text) {
  if (text.size() != 5 || (text[0] != '+' && text[0] != '-') || !all_digits(text.substr(1), 4, 4)) {
    return std::nullopt;
  }
  const int h = number(text.substr(1, 2));
  const int m = number(text.substr(3, 2));
  if (h > 23 || m > 59) return std::nullopt;
  const int minutes = (text[0] == '-' ? -1 : 1) * (h * 60 + m);
  return ZoneOffset{minutes, text == "-0000"};
}

std::optional<DateTime> parse_date_header(std::string_view text) {
  std::string buffer;
  auto words = date_words(text, buffer);
  if (!words.empty() && !words[0].empty() && !(words[0][0] >= '0' && words[0][0] <= '9')) {
    words.erase(words.begin());  // the day of the week, which the date itself decides
  }
  if (words.size() < 4 || words.size() > 5) return std::nullopt;
  DateTime t;
  if (!parse_day_month_year(words[0], words[1], words[2], t) || !parse_time(words[3], t)) return std::nullopt;
  const auto zone = header_zone(words.size() == 5 ? words[4] : std::string_view());
  if (!zone) return std::nullopt;
  t.zone = *zone;
  return t;
}

DateTime from_unix_time(std::int64_t epoch, ZoneOffset zone) {
  const sys_seconds local = sys_seconds(seconds(epoch)) + minutes(zone.minutes);
  const sys_days days = floor<std::chrono::days>(local);
  const year_month_day ymd(days);
  const hh_mm_ss hms(local - days);
  return DateTime{static_cast<int>(ymd.year()),
                  static_cast<int>(static_cast<unsigned>(ymd.month())),
                  static_cast<int>(static_cast<unsigned>(ymd.day())),
                  static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()),
                  zone};
}

DateTime in_zone(const DateTime& t, ZoneOffset zone) {
  return from_unix_time(to_utc(t).time_since_epoch().count(), zone);
}

std::optional<std::string> date_part(const DateTime& t, std::string_view part) {
  const std::string name = ascii_lower(part);
  const std::string time = two(t.hour) + ":" + two(t.minute) + ":" + two(t.second);
  char year[16];
  (void)std::snprintf(year, sizeof year, "%04d", t.year);  // an int always fits
  const sys_days days{std::chrono::year(t.year) / t.month / t.day};
  if (name == "year") return std::string(year);
  if (name == "month") return two(t.month);
  if (name == "day") return two(t.day);
  if (name == "date") return std::string(year) + "-" + two(t.month) + "-" + two(t.day);
  if (name == "julian") return std::to_string((days - sys_days{1858y / November / 17}).count());  // MJD
  if (name == "hour") return two(t.hour);
  if (name == "minute") return two(t.minute);
  if (name == "second") return two(t.second);
  if (name == "time") return time;
  if (name == "iso8601") {
    // RFC 3339's "Z" for a zero offset, known or not, as Pigeonhole writes it (scripts compare the text).
    const std::string offset = t.zone.minutes == 0 ? "Z" : zone_text(t.zone, true);
    return std::string(year) + "-" + two(t.month) + "-" + two(t.day) + "T" + time + offset;
  }
  if (name == "zone") return zone_text(t.zone, false);
  const unsigned wd = weekday(days).c_encoding();
  if (name == "weekday") return std::to_string(wd);
  if (name == "std11") {
    return std::string(kWeekdays[wd]) + ", " + two(t.day) + " " + ascii_upper(kMonths[t.month - 1].substr(0, 1)) +
           std::string(kMonths[t.month - 1].substr(1)) + " " + year + " " + time + " " + zone_text(t.zone, false);
  }
  return std::nullopt;
}

}  // namespace letterbox::sieve
