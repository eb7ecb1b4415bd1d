#include "letterbox/sieve/modified_utf7.hpp"

#include <cstdint>
#include <vector>

namespace letterbox::sieve {

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

// The code point at `i`, advancing `i`; nullopt on anything but a shortest-form scalar value.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  const int extra = lead < 0x80 ? 0 : (lead >> 5) == 0x6 ? 1 : (lead >> 4) == 0xE ? 2 : (lead >> 3) == 0x1E ? 3 : -1;
  if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size()) return std::nullopt;
  static constexpr char32_t kMasks[] = {0x7F, 0x1F, 0x0F, 0x07};
  static constexpr char32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
  char32_t cp = lead & kMasks[extra];
  for (int k = 1; k <= extra; ++k) {
    const auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((c & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < kMinimum[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

void append_base64(const std::vector<std::uint16_t>& units, std::string& out) {
  out += '&';
  std::uint32_t bits = 0;
  int count = 0;
  for (std::uint16_t u : units) {
    bits = (bits << 16) | u;
    count += 16;
    while (count >= 6) {
      count -= 6;
      out += kAlphabet[(bits >> count) & 0x3F];
    }
  }
  if (count > 0) out += kAlphabet[(bits << (6 - count)) & 0x3F];
  out += '-';
}

}  // namespace

std::optional<std::string> encode_modified_utf7(std::string_view utf8) {
  std::string out;
  std::vector<std::uint16_t> run;  // UTF-16 of the characters waiting to be encoded
  std::size_t i = 0;
  while (i < utf8.size()) {
    const auto cp = next_code_point(utf8, i);
    if (!cp) return std::nullopt;
    if (*cp >= 0x20 && *cp <= 0x7E) {
      if (!run.empty()) append_base64(run, out);
      run.clear();
      out += *cp == '&' ? std::string("&-") : std::string(1, static_cast<char>(*cp));
    } else if (*cp >= 0x10000) {
      run.push_back(static_cast<std::uint16_t>(0xD800 + ((*cp - 0x10000) >> 10)));
      run.push_back(static_cast<std::uint16_t>(0xDC00 + ((*cp - 0x10000) & 0x3FF)));
    } else {
      run.push_back(static_cast<std::uint16_t>(*cp));
    }
  }
  if (!run.empty()) append_base64(run, out);
  return out;
}

}  // namespace letterbox::sieve
