// parse_maildirsize: any bytes give a value or "damaged" (never UB on huge numbers); appending the line
// a delivery appends adds exactly that delivery to what a whole-lined file says.
#include <string>

#include "fuzz_targets.hpp"
#include "letterbox/store/maildir_quota.hpp"

namespace letterbox::fuzz {

int maildirsize(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto parsed = parse_maildirsize(text);
  if (!parsed || text.empty() || text.back() != '\n') return 0;
  const auto appended = parse_maildirsize(text + "4096 1\n");
  if (!appended) return 0;  // only when the sum would overflow: the file is rebuilt
  FUZZ_CHECK(appended->limit_bytes == parsed->limit_bytes && appended->limit_count == parsed->limit_count);
  FUZZ_CHECK(appended->used_bytes == parsed->used_bytes + 4096);
  FUZZ_CHECK(appended->used_count == parsed->used_count + 1);
  return 0;
}

}  // namespace letterbox::fuzz
