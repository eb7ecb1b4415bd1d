// The codecs of letterbox.conf's value types: each parses a value's text (or throws BadValue saying what
// was expected) and prints a value back in the file's own syntax, so that one declaration per key
// (config_keys.cpp) both reads the file and prints the effective configuration. Private to src/config/.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "config_keys.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox::config_keys {

// A list's items are separated by white space or commas.
inline constexpr std::string_view kSeparators = " \t\n\v\f\r,";

// ---- codecs: parse text into a value (or throw BadValue) and print a value back as text ----

struct SizeCodec {
  std::uint64_t min = 0;
  std::uint64_t parse(std::string_view v) const {
    std::uint64_t n = 0;
    try {
      n = parse_size(v);
    } catch (const std::invalid_argument& e) {
      throw BadValue{e.what()};
    }
    if (n < min) throw BadValue{"expected at least " + print(min)};
    return n;
  }
  std::string print(std::uint64_t v) const {
    constexpr std::array<std::pair<std::uint64_t, char>, 3> units{
        {{1ULL << 30, 'G'}, {1ULL << 20, 'M'}, {1ULL << 10, 'K'}}};
    for (auto [factor, unit] : units) {
      if (v != 0 && v % factor == 0) return std::to_string(v / factor) + unit;
    }
    return std::to_string(v);
  }
};

struct DurationCodec {
  Duration min{0};
  Duration parse(std::string_view v) const {
    Duration d;
    try {
      d = parse_duration(v);
    } catch (const std::invalid_argument& e) {
      throw BadValue{e.what()};
    }
    if (d < min) throw BadValue{"expected at least " + print(min)};
    return d;
  }
  std::string print(Duration d) const {
    const auto ms = d.count();
    if (ms != 0 && ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
    if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
  }
};

struct UnsignedCodec {
  unsigned min = 0;
  unsigned max = std::numeric_limits<unsigned>::max();
  unsigned parse(std::string_view v) const {
    const std::string expected = "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max);
    const auto n = parse_decimal(v);
    if (!n || *n < min || *n > max) throw BadValue{expected};
    return static_cast<unsigned>(*n);
  }
  std::string print(unsigned v) const { return std::to_string(v); }
};

struct ModeCodec {
  unsigned parse(std::string_view v) const {
    unsigned mode = 0;
    const auto* end = v.data() + v.size();
    auto [ptr, ec] = std::from_chars(v.data(), end, mode, 8);
    if (v.empty() || ec != std::errc{} || ptr != end || mode > 07777) {
      throw BadValue{"expected an octal file mode such as 0660"};
    }
    return mode;
  }
  std::string print(unsigned v) const {
    std::ostringstream out;
    out << '0' << std::oct << v;
    return out.str();
  }
};

struct BoolCodec {
  bool parse(std::string_view v) const {
    if (v == "yes" || v == "true" || v == "on" || v == "1") return true;
    if (v == "no" || v == "false" || v == "off" || v == "0") return false;
    throw BadValue{"expected yes or no"};
  }
  std::string print(bool v) const { return v ? "yes" : "no"; }
};

// A string with an optional check; `check` returns an empty string when the value is acceptable.
struct StringCodec {
  std::function<std::string(std::string_view)> check;
  std::string parse(std::string_view v) const {
    if (check) {
      if (auto why = check(v); !why.empty()) throw BadValue{why};
    }
    return std::string(v);
  }
  std::string print(const std::string& v) const { return v; }
};

struct ListCodec {
  std::function<std::string(std::string_view)> check_item;
  bool allow_empty = true;
  std::vector<std::string> parse(std::string_view v) const {
    auto words = split_words(v, kSeparators);
    if (words.empty() && !allow_empty) throw BadValue{"expected at least one value"};
    for (const auto& w : words) {
      if (check_item) {
        if (auto why = check_item(w); !why.empty()) throw BadValue{"'" + w + "': " + why};
      }
    }
    return words;
  }
  std::string print(const std::vector<std::string>& v) const { return join_words(v); }
};

template <class E>
struct EnumCodec {
  std::vector<std::pair<std::string_view, E>> names;
  E parse(std::string_view v) const {
    for (const auto& [name, value] : names) {
      if (v == name) return value;
    }
    throw BadValue{"expected one of: " + choices()};
  }
  std::string print(E v) const {
    for (const auto& [name, value] : names) {
      if (value == v) return std::string(name);
    }
    return "?";
  }
  std::string choices() const {
    std::string out;
    for (const auto& [name, value] : names) {
      if (!out.empty()) out += ", ";
      out += name;
    }
    return out;
  }
};

// A non-empty list of distinct enum values.
template <class E>
struct EnumListCodec {
  EnumCodec<E> item;
  std::vector<E> parse(std::string_view v) const {
    std::vector<E> out;
    const auto words = split_words(v, kSeparators);
    if (words.empty()) throw BadValue{"expected at least one of: " + item.choices()};
    for (const auto& w : words) {
      E e;
      try {
        e = item.parse(w);
      } catch (const BadValue&) {
        throw BadValue{"'" + w + "': expected one of: " + item.choices()};
      }
      if (std::find(out.begin(), out.end(), e) != out.end()) throw BadValue{"'" + w + "' named twice"};
      out.push_back(e);
    }
    return out;
  }
  std::string print(const std::vector<E>& v) const {
    std::string out;
    for (E e : v) {
      if (!out.empty()) out += ' ';
      out += item.print(e);
    }
    return out;
  }
};

}  // namespace letterbox::config_keys
