#include "letterbox/sieve/transfer_encoding.hpp"

#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// "=XX" at `i` (which is a '='), or -1.
int escaped_octet(std::string_view text, std::size_t i) {
  if (i + 2 >= text.size()) return -1;
  const int high = hex_value(text[i + 1]);
  const int low = hex_value(text[i + 2]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

// One line of quoted-printable without its line break; `soft` says it ended with '=' (no break wanted).
void decode_qp_line(std::string_view line, std::string& out, bool& soft) {
  while (!line.empty() && (is_wsp(line.back()) || line.back() == '\r')) line.remove_suffix(1);
  soft = !line.empty() && line.back() == '=';
  if (soft) line.remove_suffix(1);
  for (std::size_t i = 0; i < line.size(); ++i) {
    const int octet = line[i] == '=' ? escaped_octet(line, i) : -1;
    if (octet < 0) {
      out += line[i];
      continue;
    }
    out += static_cast<char>(octet);
    i += 2;
  }
}

}  // namespace

std::string decode_base64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;
    const int v = base64_value(c);
    if (v < 0) continue;
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

std::string decode_quoted_printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    const bool has_break = eol != std::string_view::npos;
    const std::string_view line = text.substr(0, has_break ? eol : text.size());
    bool soft = false;
    decode_qp_line(line, out, soft);
    if (has_break && !soft) out += !line.empty() && line.back() == '\r' ? "\r\n" : "\n";  // the break it had
    text.remove_prefix(has_break ? eol + 1 : text.size());
  }
  return out;
}

std::string decode_q_encoding(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int octet = text[i] == '=' ? escaped_octet(text, i) : -1;
    if (octet >= 0) {
      out += static_cast<char>(octet);
      i += 2;
    } else {
      out += text[i] == '_' ? ' ' : text[i];
    }
  }
  return out;
}

}  // namespace letterbox::sieve
