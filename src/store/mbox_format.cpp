#include "letterbox/store/mbox_format.hpp"

#include <array>
#include <cctype>

#include "letterbox/util/text.hpp"

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

namespace {

bool is_mbox_state_field(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  auto name = line.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  for (const std::string_view state :
       {"Status", "X-Status", "X-Keywords", "X-UID", "X-IMAP", "X-IMAPbase", "Content-Length"}) {
    if (iequals_ascii(name, state)) return true;
  }
  return false;
}

}  // namespace

void MboxStateFieldFilter::end_of_line(std::string& out) {
  if (line_ == "\n" || line_ == "\r\n") {
    in_body_ = true;
    out += line_;
  } else if (line_.front() == ' ' || line_.front() == '\t') {
    if (!dropping_) out += line_;
  } else {
    dropping_ = is_mbox_state_field(line_);
    if (!dropping_) out += line_;
  }
  line_.clear();
}

void MboxStateFieldFilter::feed(std::string_view chunk, std::string& out) {
  while (!in_body_ && !chunk.empty()) {
    const auto nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      line_.append(chunk);
      return;
    }
    line_.append(chunk.substr(0, nl + 1));
    chunk.remove_prefix(nl + 1);
    end_of_line(out);
  }
  out.append(chunk);
}

void MboxStateFieldFilter::finish(std::string& out) {
  if (!in_body_ && !line_.empty() && !(dropping_ && (line_.front() == ' ' || line_.front() == '\t')) &&
      !is_mbox_state_field(line_)) {
    out += line_;
  }
  line_.clear();
}

std::string without_mbox_state_fields(std::string_view message) {
  MboxStateFieldFilter filter;
  std::string out;
  filter.feed(message, out);
  filter.finish(out);
  return out;
}

}  // namespace letterbox
