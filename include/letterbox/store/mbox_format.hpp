// The mbox format's two rules that are pure text: the From_ separator line and From quoting.
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

}  // namespace letterbox
