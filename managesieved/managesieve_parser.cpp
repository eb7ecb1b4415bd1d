#include "managesieve_parser.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace letterbox {
namespace {

bool is_atom_char(unsigned char c) {
  // RFC 5804's ATOM-CHAR (via IMAP): printable ASCII but the specials that start or end other tokens.
  return c > 0x20 && c < 0x7f && c != '"' && c != '{' && c != '}' && c != '(' && c != ')' && c != '\\' && c != '%' &&
         c != '*';
}

// A line that stopped before its end: it waits for `need` octets in all, or failed.
struct Stop {
  enum class Why { NeedMore, Bad, TooLong, LiteralTooLarge };
  Why why;
  std::size_t at = 0;  // where the line was cut (Bad, TooLong, LiteralTooLarge: octets to consume)
  std::string problem;
  std::uint64_t literal_size = 0;
};

}  // namespace

void ManageSieveParser::feed(std::string_view bytes) {
  pending_.append(bytes);
}

void ManageSieveParser::discard_input() {
  pending_.clear();
  lines_.clear();
  need_ = 0;
  searched_to_ = 0;
  literal_octets_ = 0;
  skip_octets_ = 0;
  skip_to_line_end_ = false;
}

void ManageSieveParser::skip() {
  if (skip_octets_ > 0) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_octets_, pending_.size()));
    pending_.erase(0, n);
    skip_octets_ -= n;
    if (skip_octets_ > 0) return;
  }
  if (skip_to_line_end_) {
    const auto nl = pending_.find('\n');
    if (nl == std::string::npos) {
      pending_.clear();
      return;
    }
    pending_.erase(0, nl + 1);
    skip_to_line_end_ = false;
  }
}

std::optional<ManageSieveLine> ManageSieveParser::next() {
  if (!lines_.empty()) {
    auto line = std::move(lines_.front());
    lines_.pop_front();
    return line;
  }
  skip();
  if (skip_octets_ > 0 || skip_to_line_end_ || pending_.empty() || pending_.size() < need_) return std::nullopt;
  if (need_ == 0) {
    const bool new_line_end = pending_.find('\n', searched_to_) != std::string::npos;
    searched_to_ = pending_.size();
    if (!new_line_end && pending_.size() - literal_octets_ <= kMaxLine) return std::nullopt;
  }
  return parse_line();
}

std::optional<ManageSieveLine> ManageSieveParser::parse_line() {
  need_ = 0;
  ManageSieveLine line;
  const std::string_view in = pending_;
  std::size_t pos = 0;
  std::size_t literal_octets = 0;  // within the line so far: not counted against kMaxLine
  std::uint64_t literal_total = 0;

  // Where the line stops, if not at its end: more bytes needed, or a failure to report.
  const auto run = [&]() -> std::optional<Stop> {
    const auto need_more = [&]() -> std::optional<Stop> {
      if (pos - literal_octets > kMaxLine) return Stop{Stop::Why::TooLong, pos, {}, 0};
      return Stop{Stop::Why::NeedMore, pos, {}, 0};
    };
    const auto bad = [&](std::string problem) -> std::optional<Stop> {
      return Stop{Stop::Why::Bad, pos, std::move(problem), 0};
    };
    const auto at_line_end = [&]() { return pos < in.size() && (in[pos] == '\r' || in[pos] == '\n'); };

    if (!continuation_) {
      const auto start = pos;
      while (pos < in.size() && std::isalpha(static_cast<unsigned char>(in[pos]))) ++pos;
      if (pos == in.size()) return need_more();
      if (pos == start) return bad("expected a command name");
      for (auto i = start; i < pos; ++i) {
        line.name += static_cast<char>(std::toupper(static_cast<unsigned char>(in[i])));
      }
    }
    for (bool first = true;; first = false) {
      // Between tokens: spaces (at least one after a token), then an argument or the line end.
      const auto spaces = pos;
      while (pos < in.size() && in[pos] == ' ') ++pos;
      if (pos == in.size()) return need_more();
      if (at_line_end()) {
        if (in[pos] == '\r') {
          if (pos + 1 == in.size()) return need_more();
          if (in[pos + 1] != '\n') return bad("a CR not followed by LF");
          ++pos;
        }
        ++pos;
        return std::nullopt;  // the whole line, through its end
      }
      if (pos == spaces && !(first && continuation_)) return bad("expected a space between arguments");
      if (line.arguments.size() == kMaxArguments) return bad("too many arguments");
      ManageSieveArgument argument;
      const unsigned char c = in[pos];
      if (c == '"') {
        ++pos;
        for (;;) {
          if (pos == in.size()) return need_more();
          const char q = in[pos];
          if (q == '"') break;
          if (q == '\r' || q == '\n' || q == '\0') return bad("a quoted string may not hold CR, LF or NUL");
          if (q == '\\') {
            if (pos + 1 == in.size()) return need_more();
            if (in[pos + 1] != '"' && in[pos + 1] != '\\') return bad("in a quoted string only \\\" and \\\\ escape");
            ++pos;
          }
          argument.text += in[pos];
          ++pos;
          if (argument.text.size() > kMaxQuoted) return bad("a quoted string over 1024 octets: send a literal");
        }
        ++pos;
      } else if (c == '{') {
        ++pos;
        std::uint64_t size = 0;
        const auto digits = pos;
        while (pos < in.size() && std::isdigit(static_cast<unsigned char>(in[pos]))) {
          size = size * 10 + static_cast<unsigned>(in[pos] - '0');
          if (size > std::numeric_limits<std::uint32_t>::max()) return bad("a literal's size over 4294967295");
          ++pos;
        }
        if (pos < in.size() && in[pos] == '+') ++pos;
        if (pos == in.size()) return need_more();
        if (pos == digits || in[pos] != '}') return bad("a literal is {n+} or {n}, then CRLF");
        ++pos;
        if (pos == in.size()) return need_more();
        if (in[pos] == '\r') {
          ++pos;
          if (pos == in.size()) return need_more();
        }
        if (in[pos] != '\n') return bad("a literal's size must end its line");
        ++pos;
        literal_total += size;
        if (literal_total > max_literal_) return Stop{Stop::Why::LiteralTooLarge, pos, "", size};
        if (in.size() - pos < size) {
          need_ = pos + static_cast<std::size_t>(size);
          return Stop{Stop::Why::NeedMore, pos, {}, 0};
        }
        argument.text.assign(in.substr(pos, static_cast<std::size_t>(size)));
        pos += static_cast<std::size_t>(size);
        literal_octets += static_cast<std::size_t>(size);
      } else if (std::isdigit(c)) {
        argument.kind = ManageSieveArgument::Kind::Number;
        std::uint64_t value = 0;
        while (pos < in.size() && std::isdigit(static_cast<unsigned char>(in[pos]))) {
          value = value * 10 + static_cast<unsigned>(in[pos] - '0');
          if (value > std::numeric_limits<std::uint32_t>::max()) return bad("a number over 4294967295");
          argument.text += in[pos];
          ++pos;
        }
        if (pos == in.size()) return need_more();
        argument.number = static_cast<std::uint32_t>(value);
      } else if (is_atom_char(c)) {
        argument.kind = ManageSieveArgument::Kind::Atom;
        while (pos < in.size() && is_atom_char(static_cast<unsigned char>(in[pos]))) argument.text += in[pos++];
        if (pos == in.size()) return need_more();
      } else {
        return bad("expected a string, a literal or a number");
      }
      if (pos - literal_octets > kMaxLine) return Stop{Stop::Why::TooLong, pos, {}, 0};
      line.arguments.push_back(std::move(argument));
    }
  };

  auto stop = run();
  // A bad line is told once it has ended (or grown over the limit): when the error shows depends on how
  // much had come, and the same bytes must give the same lines however the network cut them.
  if (stop && stop->why == Stop::Why::Bad && in.find('\n', stop->at) == std::string_view::npos &&
      in.size() - literal_octets <= kMaxLine) {
    stop->why = Stop::Why::NeedMore;
  }
  if (!stop) {
    searched_to_ = 0;
    literal_octets_ = 0;
    pending_.erase(0, pos);
    continuation_ = false;
    return line;
  }
  if (stop->why == Stop::Why::NeedMore) {
    literal_octets_ = literal_octets;
    return std::nullopt;
  }
  searched_to_ = 0;
  literal_octets_ = 0;
  // A failure: the line is reported, and what is left of it skipped as it comes.
  ManageSieveLine failed;
  failed.name = std::move(line.name);
  failed.problem = stop->problem;
  failed.literal_size = stop->literal_size;
  failed.status = stop->why == Stop::Why::Bad       ? ManageSieveLine::Status::BadSyntax
                  : stop->why == Stop::Why::TooLong ? ManageSieveLine::Status::LineTooLong
                                                    : ManageSieveLine::Status::LiteralTooLarge;
  if (failed.status == ManageSieveLine::Status::LineTooLong) {
    failed.problem = "a line over " + std::to_string(kMaxLine) + " octets";
  } else if (failed.status == ManageSieveLine::Status::LiteralTooLarge) {
    failed.problem = "a literal of " + std::to_string(stop->literal_size) + " octets, over the " +
                     std::to_string(max_literal_) + " allowed";
    skip_octets_ = stop->literal_size;
  }
  // A bad token may stand at the line's end: the skip must not swallow the next line.
  const bool ends_here =
      failed.status == ManageSieveLine::Status::BadSyntax && stop->at < in.size() && (in[stop->at] == '\n');
  pending_.erase(0, ends_here ? stop->at + 1 : stop->at);
  skip_to_line_end_ = !ends_here;
  continuation_ = false;
  return failed;
}

}  // namespace letterbox
