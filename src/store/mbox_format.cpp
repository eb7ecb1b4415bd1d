#include "letterbox/store/mbox_format.hpp"

#include <array>
#include <cctype>

namespace letterbox {

std::string mbox_from_line(std::string_view sender, std::time_t when) {
  std::string line = "From ";
  if (sender.empty()) {
    line += "MAILER-DAEMON";
  } else {
    for (char c : sender) line += std::isspace(static_cast<unsigned char>(c)) ? '_' : c;
  }
  std::tm tm{};
  localtime_r(&when, &tm);
  std::array<char, 64> date{};
  // asctime's layout, without its locale dependence.
  if (std::strftime(date.data(), date.size(), " %a %b %e %H:%M:%S %Y\n", &tm) == 0) {
    return line + " Thu Jan  1 00:00:00 1970\n";  // unreachable: the buffer fits any date
  }
  line += date.data();
  return line;
}

void FromQuoter::feed(std::string_view chunk, std::string& out) {
  static constexpr std::string_view kFrom = "From ";
  for (std::size_t i = 0; i < chunk.size(); ++i) {
    const char c = chunk[i];
    if (!at_line_start_) {
      // Copy the rest of the line in one go.
      const auto nl = chunk.find('\n', i);
      if (nl == std::string_view::npos) {
        out.append(chunk.substr(i));
        return;
      }
      out.append(chunk.substr(i, nl - i + 1));
      i = nl;
      at_line_start_ = true;
      continue;
    }
    // At a line start: is this line (>*)From_ so far?
    pending_ += c;
    const std::size_t arrows = pending_.find_first_not_of('>');
    const bool arrows_allowed = style_ == FromQuoting::Mboxrd;
    bool still_possible;
    if (arrows == std::string::npos) {
      still_possible = arrows_allowed;  // only '>' so far
    } else if (arrows > 0 && !arrows_allowed) {
      still_possible = false;
    } else {
      const std::string_view tail = std::string_view(pending_).substr(arrows);
      still_possible = kFrom.starts_with(tail);
      if (still_possible && tail.size() == kFrom.size()) {
        out += '>';
        out += pending_;
        pending_.clear();
        at_line_start_ = false;
        continue;
      }
    }
    if (!still_possible) {
      out += pending_;
      pending_.clear();
      at_line_start_ = (c == '\n');
    }
  }
}

void FromQuoter::finish(std::string& out) {
  out += pending_;
  pending_.clear();
  at_line_start_ = true;
}

std::string quote_from_lines(std::string_view text, FromQuoting style) {
  FromQuoter quoter(style);
  std::string out;
  quoter.feed(text, out);
  quoter.finish(out);
  return out;
}

}  // namespace letterbox
