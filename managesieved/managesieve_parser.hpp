// ManageSieveParser: what a ManageSieve client sends (RFC 5804 section 4), as a pure function of bytes
// (no I/O), so that it can be tested and fuzzed alone. Feed it what the socket gave; take lines out in
// order.
//  - A command line is a command name (an atom, case-insensitive, handed over upper-cased) and arguments
//    separated by spaces, ending with CRLF (a bare LF is tolerated). An argument is a quoted string (at
//    most 1024 octets between the quotes; `\"` and `\\` the only escapes; no CR, LF or NUL), a literal
//    `{n+}` or `{n}` followed by CRLF and exactly n octets of anything, a number (digits, below 2^32), or
//    an atom. Clients send `{n+}` (RFC 5804 allows clients no other), but some send `{n}` and go on
//    without waiting: both are read the same way, and nothing is sent back for either.
//  - A continuation line (expect_continuation(): a SASL response during AUTHENTICATE) is arguments
//    only, with no command name.
//  - Limits: a line over kMaxLine octets, literals left out, is one LineTooLong; the rest of it is
//    skipped so that framing holds. A literal over max_literal() is one LiteralTooLarge as soon as its
//    header is read (the caller answers, or closes the connection); its octets and the rest of its line
//    are then skipped as they come. More than kMaxArguments arguments is BadSyntax.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace letterbox {

struct ManageSieveArgument {
  enum class Kind { Atom, String, Number };
  Kind kind = Kind::String;
  std::string text;          // the atom or the string's octets (a number's digits)
  std::uint32_t number = 0;  // Kind::Number

  [[nodiscard]] bool is_string() const { return kind == Kind::String; }
};

struct ManageSieveLine {
  enum class Status {
    Ok,               // `name` and `arguments` are the line
    BadSyntax,        // `problem` says what was wrong; the line was skipped
    LineTooLong,      // skipped
    LiteralTooLarge,  // `literal_size` is what the client announced; its octets are being skipped
  };
  Status status = Status::Ok;
  std::string name;  // upper-cased; "" for a continuation line
  std::vector<ManageSieveArgument> arguments;
  std::string problem;
  std::uint64_t literal_size = 0;
};

class ManageSieveParser {
 public:
  static constexpr std::size_t kMaxLine = 8192;
  static constexpr std::size_t kMaxQuoted = 1024;
  static constexpr std::size_t kMaxArguments = 8;

  // `max_literal`: the largest literal accepted (a script; the caller lowers it before authentication).
  explicit ManageSieveParser(std::uint64_t max_literal) : max_literal_(max_literal) {}

  void feed(std::string_view bytes);
  // The next complete line, or nullopt until more bytes come.
  std::optional<ManageSieveLine> next();

  // The next line is a SASL continuation: arguments only.
  void expect_continuation() { continuation_ = true; }
  void set_max_literal(std::uint64_t max_literal) { max_literal_ = max_literal; }
  [[nodiscard]] std::uint64_t max_literal() const { return max_literal_; }

  // Forgets every byte fed and not yet taken as a line. After STARTTLS, what was pipelined behind it
  // came in the clear and must not be acted on once TLS is up.
  void discard_input();
  // Bytes buffered but not yet a line (a partial line or literal).
  [[nodiscard]] std::size_t buffered() const { return pending_.size(); }

 private:
  // Parses one line from the start of pending_: a line, or nullopt when more bytes are needed
  // (need_ then says how many pending_ must hold before trying again).
  std::optional<ManageSieveLine> parse_line();
  void skip();

  std::uint64_t max_literal_;
  std::string pending_;
  std::size_t need_ = 0;  // pending_ must reach this size before parse_line() can succeed
  // Without a literal to wait for, a line needs a new LF to end: bytes up to searched_to_ hold none, and
  // literal_octets_ of pending_ were a literal's when parse_line() last stopped. So a line trickled in a
  // byte at a time is scanned once, not once a byte.
  std::size_t searched_to_ = 0;
  std::size_t literal_octets_ = 0;
  bool continuation_ = false;      // the next line is a continuation
  std::uint64_t skip_octets_ = 0;  // of an over-large literal, still to come
  bool skip_to_line_end_ = false;  // after a skipped literal or an over-long line
  std::deque<ManageSieveLine> lines_;
};

}  // namespace letterbox
