#include "strings.hpp"

#include <algorithm>
#include <vector>

#include "letterbox/sieve/variables.hpp"
#include "letterbox/util/text.hpp"
#include "utf8.hpp"

namespace letterbox::sieve {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct Decoded {
  std::size_t length = 0;  // of the whole ${…}; 0: not well-formed, left as written
  std::string bytes;
  bool bad_code_point = false;
};

// The body after "${hex:" or "${unicode:": blank-separated groups of at most max_digits hex digits
// (unlimited for unicode), at least one, then '}'.
Decoded decode_body(std::string_view text, std::size_t at, bool unicode) {
  Decoded result;
  std::size_t groups = 0;
  while (at < text.size()) {
    while (at < text.size() && is_blank(text[at])) ++at;
    if (at < text.size() && text[at] == '}') {
      if (groups != 0) result.length = at + 1;
      return result;
    }
    std::uint32_t value = 0;
    std::size_t digits = 0;
    for (; at < text.size() && hex_value(text[at]) >= 0; ++at, ++digits) {
      value = std::min<std::uint32_t>(value * 16 + static_cast<std::uint32_t>(hex_value(text[at])), 0x1000000);
    }
    if (digits == 0 || (!unicode && digits > 2)) return result;
    if (at < text.size() && !is_blank(text[at]) && text[at] != '}') return result;
    ++groups;
    if (!unicode) {
      result.bytes += static_cast<char>(value);
    } else if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      result.bad_code_point = true;
    } else {
      append_utf8(result.bytes, value);
    }
  }
  return result;
}

}  // namespace

std::optional<std::string> decode_encoded_characters(std::string& text) {
  if (text.find("${") == std::string::npos) return std::nullopt;
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t start = text.find("${", at);
    if (start == std::string::npos) break;
    out.append(text, at, start - at);
    const std::string_view rest = std::string_view(text).substr(start + 2);
    const bool hex = rest.size() >= 4 && iequals_ascii(rest.substr(0, 4), "hex:");
    const bool unicode = rest.size() >= 8 && iequals_ascii(rest.substr(0, 8), "unicode:");
    Decoded decoded;
    if (hex || unicode) decoded = decode_body(text, start + 2 + (hex ? 4 : 8), unicode);
    if (decoded.length == 0) {
      out += '$';
      at = start + 1;
      continue;
    }
    if (decoded.bad_code_point) {
      return "invalid Unicode code point in \"" + text.substr(start, decoded.length - start) + "\"";
    }
    out += decoded.bytes;
    at = decoded.length;
  }
  out.append(text, std::min(at, text.size()));
  text = std::move(out);
  return std::nullopt;
}

std::string quote(std::string_view text, bool encoded_characters) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"' || c == '\\') out += '\\';
    if (encoded_characters && c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      out += "${hex:24}";
      continue;
    }
    // Only a decoded ${hex:00} or ${hex:0D} puts these in a string; as such they print back.
    if (encoded_characters && (c == '\0' || (c == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')))) {
      out += c == '\0' ? "${hex:00}" : "${hex:0D}";
      continue;
    }
    out += c;
  }
  out += '"';
  return out;
}

namespace {

std::string printable(std::string_view text, bool quoted) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = quoted ? "\"" : "";
  out.reserve(text.size() + 2);
  const auto encode = [&](char c) {
    const auto byte = static_cast<unsigned char>(c);
    out += "${hex:";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
    out += '}';
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const std::size_t length = utf8_character_length(text, i);
    const bool c1 = length == 2 && byte == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;
    if (length == 0 || byte < 0x20 || byte == 0x7F || c1) {
      for (std::size_t k = 0; k < std::max<std::size_t>(length, 1); ++k) encode(text[i + k]);
      i += std::max<std::size_t>(length, 1);
      continue;
    }
    if (quoted && (byte == '"' || byte == '\\')) out += '\\';
    out.append(text.substr(i, length));
    i += length;
  }
  if (quoted) out += '"';
  return out;
}

}  // namespace

std::string quote_printable(std::string_view text) {
  return printable(text, true);
}

std::string printable_line(std::string_view text) {
  return printable(text, false);
}

bool has_variable_reference(std::string_view text) {
  std::size_t at = 0;
  while ((at = text.find("${", at)) != std::string_view::npos) {
    std::size_t end = at + 2;
    while (end < text.size() && (is_identifier_char(text[end]) || text[end] == '.')) ++end;
    const std::string_view name = text.substr(at + 2, end - at - 2);
    at += 2;
    if (end < text.size() && text[end] == '}' && is_variable_reference(name)) return true;
  }
  return false;
}

unsigned edit_distance(std::string_view a, std::string_view b) {
  if (a.size() > 64 || b.size() > 64) return 1000;
  std::vector<unsigned> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<unsigned>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    unsigned diagonal = row[0];
    row[0] = static_cast<unsigned>(i);
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const unsigned above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace letterbox::sieve
