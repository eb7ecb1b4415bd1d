#include "letterbox/sieve/charset.hpp"

#include <iconv.h>

#include <cerrno>

#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

std::string normalized(std::string_view charset) {
  charset = charset.substr(0, charset.find('*'));
  while (!charset.empty() && (charset.front() == ' ' || charset.front() == '"')) charset.remove_prefix(1);
  while (!charset.empty() && (charset.back() == ' ' || charset.back() == '"')) charset.remove_suffix(1);
  return ascii_lower(charset);
}

class Converter {
 public:
  explicit Converter(const std::string& from) : cd_(iconv_open("UTF-8", from.c_str())) {}
  ~Converter() {
    if (ok()) iconv_close(cd_);
  }
  Converter(const Converter&) = delete;
  Converter& operator=(const Converter&) = delete;
  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }

  std::string run(std::string_view text) {
    std::string out;
    char* in = const_cast<char*>(text.data());  // iconv's signature; it does not write to the input
    std::size_t in_left = text.size();
    char buffer[4096];
    while (in_left > 0) {
      char* o = buffer;
      std::size_t o_left = sizeof buffer;
      const std::size_t r = iconv(cd_, &in, &in_left, &o, &o_left);
      out.append(buffer, static_cast<std::size_t>(o - buffer));
      if (r != static_cast<std::size_t>(-1) || errno == E2BIG) continue;
      out += kReplacement;  // EILSEQ: one bad octet; EINVAL: the text ends inside a character
      ++in;
      --in_left;
      iconv(cd_, nullptr, nullptr, nullptr, nullptr);
    }
    char* o = buffer;
    std::size_t o_left = sizeof buffer;
    iconv(cd_, nullptr, nullptr, &o, &o_left);  // a stateful charset's closing sequence
    out.append(buffer, static_cast<std::size_t>(o - buffer));
    return out;
  }

 private:
  iconv_t cd_;
};

}  // namespace

std::optional<std::string> convert_to_utf8(std::string_view text, std::string_view charset) {
  const std::string name = normalized(charset);
  if (name == "utf-8" || name == "utf8" || name == "us-ascii" || name == "ascii") return std::string(text);
  if (name.empty()) return std::nullopt;
  Converter converter(name);
  if (!converter.ok()) return std::nullopt;
  return converter.run(text);
}

}  // namespace letterbox::sieve
