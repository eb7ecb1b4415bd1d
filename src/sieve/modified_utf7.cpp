#include "letterbox/sieve/modified_utf7.hpp"

#include <cstdint>
#include <vector>

#include "utf8.hpp"

namespace letterbox::sieve {

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

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
