#include "letterbox/sieve/message_headers.hpp"

#include "letterbox/sieve/encoded_words.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

namespace {

// RFC 5322 ftext, plus the obsolete white space before the colon (obs-optional), which is trimmed.
std::string_view field_name(std::string_view line, std::size_t& colon) {
  colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return {};
  std::string_view name = line.substr(0, colon);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  for (char c : name) {
    if (c < 33 || c > 126) return {};
  }
  return name;
}

// The line at `pos` without its line break; `next` is where the following line starts.
std::string_view line_at(std::string_view message, std::size_t pos, std::size_t& next) {
  const std::size_t eol = message.find('\n', pos);
  next = eol == std::string_view::npos ? message.size() : eol + 1;
  std::string_view line = message.substr(pos, (eol == std::string_view::npos ? message.size() : eol) - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c != '\r' && c != '\n') out += c;  // a bare line break inside a value is dropped as well
  }
  const std::size_t first = out.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  const std::size_t last = out.find_last_not_of(" \t");
  return out.substr(first, last - first + 1);
}

MessageHeaders MessageHeaders::parse(std::string_view message, const HeaderLimits& limits) {
  MessageHeaders h;
  std::size_t pos = 0;
  h.body_offset_ = message.size();
  bool current = false;  // whether the last field line was kept, so that its continuations are too
  while (pos < message.size()) {
    std::size_t next = 0;
    const std::string_view line = line_at(message, pos, next);
    if (line.empty()) {
      pos = next;
      h.body_offset_ = pos;
      break;
    }
    if (is_wsp(line.front())) {
      if (current) h.fields_.back().raw.append("\r\n").append(line);
    } else {
      std::size_t colon = 0;
      const std::string_view name = field_name(line, colon);
      current = !name.empty() && h.fields_.size() < limits.max_fields;
      if (!name.empty() && !current) h.truncated_ = true;
      if (current) h.fields_.push_back({std::string(name), std::string(line.substr(colon + 1)), {}});
    }
    pos = next;
  }
  for (auto& f : h.fields_) f.value = unfold(f.raw);
  return h;
}

std::vector<std::string_view> MessageHeaders::values(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& f : fields_) {
    if (iequals_ascii(f.name, name)) out.push_back(f.value);
  }
  return out;
}

std::vector<std::string> MessageHeaders::decoded_values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& f : fields_) {
    if (iequals_ascii(f.name, name)) out.push_back(decode_encoded_words(f.value));
  }
  return out;
}

bool MessageHeaders::has(std::string_view name) const {
  for (const auto& f : fields_) {
    if (iequals_ascii(f.name, name)) return true;
  }
  return false;
}

}  // namespace letterbox::sieve
