// MessageInput: turns a message as a local program hands it over (stdin of letterbox-lda) into the
// spool's form: CRLF line ends become LF (a lone CR is kept), and a leading mbox "From " line is removed
// (its sender is kept: it is the envelope sender when -f is absent). Input may arrive in chunks split
// anywhere.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "letterbox/store/spool.hpp"

namespace letterbox {

class MessageInput {
 public:
  explicit MessageInput(Spool& spool) : spool_(spool) {}

  // Throws std::system_error when the spool cannot be written.
  void feed(std::string_view chunk);
  void finish();

  // The sender of a leading "From sender date" line, if there was one.
  [[nodiscard]] const std::optional<std::string>& from_line_sender() const { return from_line_sender_; }

 private:
  void emit(std::string_view text);

  Spool& spool_;
  bool first_line_done_ = false;
  std::string first_line_;
  bool pending_cr_ = false;
  std::string out_;
  std::optional<std::string> from_line_sender_;
};

// Copies CRLF-terminated text to LF-terminated text; `pending_cr` carries a trailing CR to the next call.
void append_without_cr(std::string_view in, bool& pending_cr, std::string& out);

}  // namespace letterbox
