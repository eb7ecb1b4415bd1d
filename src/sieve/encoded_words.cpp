#include "letterbox/sieve/encoded_words.hpp"

#include <algorithm>
#include <optional>

#include "letterbox/sieve/charset.hpp"
#include "letterbox/sieve/transfer_encoding.hpp"
#include "letterbox/util/text.hpp"
#include "utf8.hpp"

namespace letterbox::sieve {

namespace {

struct EncodedWord {
  std::size_t length = 0;  // of "=?...?=" in the value
  std::string charset;
  std::string bytes;  // decoded, still in `charset`
};

// Finds "?=" and white space after a place, remembering the last answer: a value with many "=?" and one
// far "?=" would otherwise be rescanned from each of them, quadratic in the header's length.
class Scanner {
 public:
  explicit Scanner(std::string_view value) : value_(value) {}
  std::size_t next_close(std::size_t from) {
    return next(close_, from, [&](std::size_t f) { return value_.find("?=", f); });
  }
  std::size_t next_space(std::size_t from) {
    return next(space_, from, [&](std::size_t f) { return value_.find_first_of(" \t\r\n", f); });
  }

 private:
  template <typename Find>
  static std::size_t next(std::size_t& memo, std::size_t from, Find find) {
    if (memo == kUnknown || (memo != std::string_view::npos && memo < from)) memo = find(from);
    return memo;
  }
  static constexpr std::size_t kUnknown = std::string_view::npos - 1;
  std::string_view value_;
  std::size_t close_ = kUnknown;
  std::size_t space_ = kUnknown;
};

// The encoded word at `at` in the value, if there is a well-formed one.
std::optional<EncodedWord> read_encoded_word(std::string_view value, std::size_t at, Scanner& scan) {
  const std::size_t q1 = value.find('?', at + 2);  // never past the next "=?", so linear overall
  if (q1 == std::string_view::npos || q1 == at + 2 || q1 + 2 >= value.size() || value[q1 + 2] != '?') {
    return std::nullopt;
  }
  const std::size_t end = scan.next_close(q1 + 3);
  if (end == std::string_view::npos) return std::nullopt;
  const std::string_view charset = value.substr(at + 2, q1 - at - 2);
  if (charset.find_first_of(" \t\r\n") != std::string_view::npos) return std::nullopt;
  if (const std::size_t space = scan.next_space(q1 + 3); space != std::string_view::npos && space < end) {
    return std::nullopt;
  }
  const std::string_view payload = value.substr(q1 + 3, end - q1 - 3);
  const char encoding = ascii_lower(value[q1 + 1]);
  if (encoding != 'b' && encoding != 'q') return std::nullopt;
  return EncodedWord{end + 2 - at, std::string(charset),
                     encoding == 'b' ? decode_base64(payload) : decode_q_encoding(payload)};
}

bool only_white_space(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Holds the bytes of a run of encoded words in one charset until the run ends.
struct PendingWords {
  std::string charset;
  std::string bytes;
  std::string original;  // the words as written, kept if the charset cannot be converted

  void flush(std::string& out) {
    if (original.empty()) return;
    const auto text = convert_to_utf8(bytes, charset);
    out += text ? *text : original;
    charset.clear();
    bytes.clear();
    original.clear();
  }
};

}  // namespace

std::string decode_encoded_words(std::string_view value) {
  std::string out;
  PendingWords pending;
  std::size_t i = 0;
  std::size_t plain_start = 0;  // the text since the last word, not yet copied
  Scanner scan(value);
  while ((i = value.find("=?", i)) != std::string_view::npos) {
    auto word = read_encoded_word(value, i, scan);
    if (!word) {
      i += 2;
      continue;
    }
    const std::string_view between = value.substr(plain_start, i - plain_start);
    const bool joins = !pending.original.empty() && only_white_space(between);
    if (!joins) {
      pending.flush(out);
      out += between;
    } else if (!iequals_ascii(pending.charset, word->charset)) {
      pending.flush(out);  // the white space between two words goes, even across charsets
    }
    pending.charset = word->charset;
    pending.bytes += word->bytes;
    pending.original += value.substr(i, word->length);
    i += word->length;
    plain_start = i;
  }
  pending.flush(out);
  out += value.substr(plain_start);
  return out;
}

std::vector<std::string> encode_words(std::string_view text, std::size_t first_word_max) {
  static constexpr std::string_view kOpen = "=?utf-8?q?";
  static constexpr std::string_view kClose = "?=";
  static constexpr std::size_t kMaxWord = 75;
  // A four-byte character takes twelve characters encoded: every word must have room for one.
  static constexpr std::size_t kMinWord = kOpen.size() + 12 + kClose.size();
  std::vector<std::string> words;
  std::string word(kOpen);
  std::size_t limit = std::max(kMinWord, std::min(first_word_max, kMaxWord));
  std::size_t at = 0;
  while (at < text.size()) {
    // One character at a time (a byte that is not well-formed UTF-8 goes alone), encoded whole.
    const std::size_t length = std::max<std::size_t>(1, utf8_character_length(text, at));
    std::string encoded;
    for (const char c : text.substr(at, length)) {
      if (is_ascii_letter(c) || is_ascii_digit(c) || std::string_view("!*+-/").find(c) != std::string_view::npos) {
        encoded += c;
      } else if (c == ' ') {
        encoded += '_';
      } else {
        static constexpr char kHex[] = "0123456789ABCDEF";
        const auto u = static_cast<unsigned char>(c);
        encoded += '=';
        encoded += kHex[u >> 4];
        encoded += kHex[u & 0xf];
      }
    }
    if (word.size() > kOpen.size() && word.size() + encoded.size() + kClose.size() > limit) {
      words.push_back(word + std::string(kClose));
      word = std::string(kOpen);
      limit = kMaxWord;
    }
    word += encoded;
    at += length;
  }
  if (word.size() > kOpen.size()) words.push_back(word + std::string(kClose));
  return words;
}

}  // namespace letterbox::sieve
