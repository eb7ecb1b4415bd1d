// The mbox format's rules that are pure text: the From_ separator line, From quoting, and which header
// fields of an arriving message must not reach the file.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

#include "letterbox/config/config.hpp"

namespace letterbox {

// "From sender Tue Nov 24 15:36:03 2026\n"; the null sender becomes MAILER-DAEMON, and white space in
// the sender (which would break every mbox reader) becomes '_'.
std::string mbox_from_line(std::string_view sender, std::time_t when);

// Streams message text through From quoting. mboxrd adds one '>' to every line matching ^>*From ;
// mboxo only to lines starting "From ". Lines may be split across feed() calls at any byte.
class FromQuoter {
 public:
  explicit FromQuoter(FromQuoting style) : style_(style) {}

  // Appends the quoted form of `chunk` to `out`.
  void feed(std::string_view chunk, std::string& out);
  // Emits anything held back at the end of the text.
  void finish(std::string& out);

 private:
  FromQuoting style_;
  bool at_line_start_ = true;
  std::string pending_;  // the start of a line that may still turn out to be (>*)From_
};

// Convenience for whole texts (tests, small messages).
std::string quote_from_lines(std::string_view text, FromQuoting style);

// Streams a message less the header fields in which mbox readers keep a message's state: Status,
// X-Status, X-Keywords, X-UID, X-IMAP, X-IMAPbase and Content-Length, with their continuation lines.
// Set by a sender, they would show the message as read or flagged before anyone saw it (mutt and
// Dovecot trust Status), or cut it short for readers that trust Content-Length; the state a delivery
// sets (Sieve's flags) is written ahead of the message instead. Only the header section is looked at;
// lines may be split across feed() calls at any byte.
class MboxStateFieldFilter {
 public:
  // Appends to `out` what of `chunk` is kept.
  void feed(std::string_view chunk, std::string& out);
  // Emits a last header line that had no line end.
  void finish(std::string& out);
  // Past the header section: everything from now on is kept as it is.
  [[nodiscard]] bool in_body() const { return in_body_; }

 private:
  void end_of_line(std::string& out);

  bool in_body_ = false;
  bool dropping_ = false;  // within a dropped field: its continuation lines go too
  std::string line_;       // the header line being read
};

// Convenience for whole texts (tests).
std::string without_mbox_state_fields(std::string_view message);

}  // namespace letterbox
