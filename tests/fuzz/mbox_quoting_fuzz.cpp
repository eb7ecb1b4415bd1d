// FromQuoter: any chunking gives the whole text's quoting; no quoted line starts "From "; mboxrd
// quoting is undone exactly by the readers' rule (remove one '>' from lines matching ^>+From ).
#include <string>

#include "fuzz_targets.hpp"
#include "letterbox/store/mbox_format.hpp"

namespace letterbox::fuzz {
namespace {

bool has_from_line(const std::string& text) {
  for (std::size_t at = 0; at < text.size();) {
    if (text.compare(at, 5, "From ") == 0) return true;
    const auto nl = text.find('\n', at);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return false;
}

std::string unquote_mboxrd(const std::string& text) {
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    auto nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size() - 1;
    std::string_view line(text.data() + at, nl + 1 - at);
    std::size_t gt = 0;
    while (gt < line.size() && line[gt] == '>') ++gt;
    if (gt > 0 && line.substr(gt).starts_with("From ")) line.remove_prefix(1);
    out += line;
    at = nl + 1;
  }
  return out;
}

}  // namespace

int mbox_quoting(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (const auto style : {FromQuoting::Mboxrd, FromQuoting::Mboxo}) {
    const std::string whole = quote_from_lines(text, style);
    FromQuoter quoter(style);
    std::string pieces;
    const std::size_t step = 1 + data[0] % 13;
    for (std::size_t at = 0; at < text.size(); at += step) quoter.feed(text.substr(at, step), pieces);
    quoter.finish(pieces);
    FUZZ_CHECK(pieces == whole);
    FUZZ_CHECK(!has_from_line(whole));
    if (style == FromQuoting::Mboxrd) FUZZ_CHECK(unquote_mboxrd(whole) == text);
  }
  return 0;
}

}  // namespace letterbox::fuzz
