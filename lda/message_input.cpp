#include "message_input.hpp"

namespace letterbox {
namespace {

// Longer than any real From_ line: past this the first line is just content.
constexpr std::size_t kMaxFromLine = 1000;

}  // namespace

void append_without_cr(std::string_view in, bool& pending_cr, std::string& out) {
  for (char c : in) {
    if (pending_cr) {
      pending_cr = false;
      if (c != '\n') out += '\r';
    }
    if (c == '\r') {
      pending_cr = true;
      continue;
    }
    out += c;
  }
}

void MessageInput::emit(std::string_view text) {
  append_without_cr(text, pending_cr_, out_);
  if (out_.size() >= 64 * 1024) {
    spool_.append(out_);
    out_.clear();
  }
}

void MessageInput::feed(std::string_view chunk) {
  if (!first_line_done_) {
    const auto nl = chunk.find('\n');
    first_line_.append(chunk.substr(0, nl == std::string_view::npos ? chunk.size() : nl + 1));
    if (nl == std::string_view::npos && first_line_.size() < kMaxFromLine) return;
    first_line_done_ = true;
    chunk.remove_prefix(nl == std::string_view::npos ? chunk.size() : nl + 1);
    if (first_line_.starts_with("From ")) {
      std::string_view rest = std::string_view(first_line_).substr(5);
      rest = rest.substr(0, rest.find_first_of(" \t\r\n"));
      from_line_sender_ = (rest == "MAILER-DAEMON") ? std::string() : std::string(rest);
    } else {
      emit(first_line_);
    }
    first_line_.clear();
  }
  emit(chunk);
}

void MessageInput::finish() {
  if (!first_line_done_) {
    first_line_done_ = true;
    if (first_line_.starts_with("From ") && first_line_.find('\n') != std::string::npos) {
      first_line_.clear();
    }
    emit(first_line_);
  }
  if (pending_cr_) {
    out_ += '\r';
    pending_cr_ = false;
  }
  if (!out_.empty()) spool_.append(out_);
  out_.clear();
}

}  // namespace letterbox
