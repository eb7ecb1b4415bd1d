// LmtpParser: the LMTP wire format as a pure function of bytes (no I/O), so it can be tested and fuzzed
// alone. Feed it what the socket gave; take events out in order.
//  - Command mode: lines end with CRLF (a bare LF is tolerated). A line over 512 octets (RFC 5321
//    4.5.3.1.4, CRLF included) becomes one LineTooLong event; the rest of it is skipped, so framing holds.
//    A line with a bare CR or a NUL in it becomes one BadCommandLine event.
//  - Data mode (after the caller answered 354): message lines, dot-unstuffed, CRLF and bare LF both
//    stored as LF. Only <CRLF>.<CRLF> ends the message: a "." line after a bare LF, or ".<LF>", does not
//    (the SMTP-smuggling lesson). A text line over 1000 octets marks the message as refused.
//  - Chunk mode (BDAT n): exactly n octets, CRLF stored as LF, no dot-unstuffing.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace letterbox {

struct LmtpEvent {
  enum class Kind {
    Command,         // `text`: the command line without its line end
    LineTooLong,     // a command line over 512 octets (already skipped)
    BadCommandLine,  // a command line with a bare CR or a NUL in it (skipped)
    MessageText,     // `text`: message bytes for the spool (LF line ends)
    MessageEnd,      // the end of DATA; `line_too_long` if a text line was over 1000 octets
    ChunkEnd,        // the end of a BDAT chunk
  };
  Kind kind;
  std::string text;
  bool line_too_long = false;
};

class LmtpParser {
 public:
  static constexpr std::size_t kMaxCommandLine = 512;
  static constexpr std::size_t kMaxTextLine = 1000;

  void feed(std::string_view bytes);
  // Switch modes; the caller does this after answering DATA with 354, or on reading a BDAT command.
  void start_data();
  void start_chunk(std::uint64_t size);

  // After the LAST chunk: the CR held back at its end, if any ("" or "\r"), for the spool.
  std::string finish_chunks();

  // Forgets every byte fed and not yet taken as an event. After STARTTLS, what was pipelined behind it
  // came in the clear and must not be acted on once TLS is up (RFC 3207 section 5).
  void discard_input();

  // Parses lazily: the caller switches modes (start_data, start_chunk) between taking a command and
  // asking for the next event, so bytes after a command are read in the right mode.
  bool has_event() {
    if (events_.empty()) parse();
    return !events_.empty();
  }
  LmtpEvent next_event();
  // Bytes buffered but not yet turned into events (a partial line).
  [[nodiscard]] std::size_t buffered() const { return pending_.size(); }
  [[nodiscard]] bool in_command_mode() const { return mode_ == Mode::Command; }

 private:
  enum class Mode { Command, Data, Chunk };
  void parse();
  bool parse_command();
  bool parse_data();
  bool parse_chunk();
  void emit_text(std::string_view text);

  Mode mode_ = Mode::Command;
  std::string pending_;
  std::deque<LmtpEvent> events_;
  bool skipping_long_line_ = false;   // command mode: discarding the rest of an over-long line
  bool data_line_start_ = true;       // data mode: at the start of a line
  bool previous_line_crlf_ = true;    // data mode: did the previous line end with CRLF?
  std::size_t data_line_length_ = 0;  // data mode: octets of the current line so far
  bool data_line_too_long_ = false;
  bool chunk_pending_cr_ = false;  // chunk mode: a CR at the end of the last piece
  std::uint64_t chunk_left_ = 0;
};

}  // namespace letterbox
