// The Sieve engine's message side on arbitrary bytes: the header section, encoded words, address lists
// and their parts, dates, the MIME walk and folder names. Limits hold, parsed things are well formed,
// and a date moved to another zone and back is the same date.
#include <string>

#include "fuzz_targets.hpp"
#include "letterbox/sieve/address_list.hpp"
#include "letterbox/sieve/body_parts.hpp"
#include "letterbox/sieve/date_parts.hpp"
#include "letterbox/sieve/encoded_words.hpp"
#include "letterbox/sieve/mailbox_name.hpp"
#include "letterbox/sieve/message_headers.hpp"

namespace letterbox::fuzz {

namespace {

using namespace letterbox::sieve;

void check_addresses(std::string_view value) {
  for (const auto& item : parse_address_list(value, 50)) {
    FUZZ_CHECK(address_part(item, AddressPart::all).has_value());
    if (!item.valid) {
      FUZZ_CHECK(!address_part(item, AddressPart::domain));
      continue;
    }
    FUZZ_CHECK(!item.localpart.empty() && !item.domain.empty());
    const auto user = address_part(item, AddressPart::user);
    FUZZ_CHECK(user && item.localpart.starts_with(*user));
  }
}

void check_date(std::string_view value) {
  const auto t = parse_date_header(value);
  if (!t) return;
  for (const char* part : {"year", "month", "day", "date", "julian", "hour", "minute", "second", "time", "iso8601",
                           "std11", "zone", "weekday"}) {
    FUZZ_CHECK(date_part(*t, part).has_value());
  }
  if (t->second == 60) return;  // a leap second becomes the next minute's 00
  const auto back = in_zone(in_zone(*t, {13 * 60 + 45, false}), t->zone);
  FUZZ_CHECK(date_part(back, "std11") == date_part(*t, "std11"));
}

void check_body(std::string_view message) {
  bool truncated = false;
  const BodyLimits limits{64, 8};
  const auto parts = mime_parts(message, limits, truncated);
  FUZZ_CHECK(parts.size() <= limits.max_parts);
  for (const auto& p : parts) {
    FUZZ_CHECK(p.depth <= limits.max_depth);
    FUZZ_CHECK(!p.type.empty());
  }
  const std::string all[] = {""};
  body_values(message, BodyTransform::content, all, limits);
  body_values(message, BodyTransform::text, {}, limits);
  FUZZ_CHECK(body_values(message, BodyTransform::raw).size() == 1);
}

void check_folder(std::string_view name) {
  std::string why;
  const auto dir = maildir_folder(name, why);
  if (!dir) {
    FUZZ_CHECK(!why.empty());
    return;
  }
  FUZZ_CHECK(dir->find('/') == std::string::npos && dir->find("..") == std::string::npos);
  FUZZ_CHECK(dir->empty() || (*dir)[0] == '.');
  const auto mbox = mbox_folder(name, why);
  FUZZ_CHECK(mbox && mbox->find("..") == std::string::npos && (mbox->empty() || mbox->front() != '/'));
}

}  // namespace

int sieve_message(const std::uint8_t* data, std::size_t size) {
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  const auto headers = MessageHeaders::parse(message, {200});
  FUZZ_CHECK(headers.body_offset() <= message.size());
  FUZZ_CHECK(headers.fields().size() <= 200);
  for (const auto& f : headers.fields()) {
    FUZZ_CHECK(!f.name.empty() && f.name.find(':') == std::string::npos);
    FUZZ_CHECK(f.value.find_first_of("\r\n") == std::string::npos);
    decode_encoded_words(f.value);
    check_addresses(f.value);
    check_date(f.value);
    check_folder(f.value);
  }
  check_body(message);
  return 0;
}

}  // namespace letterbox::fuzz
