#include "lmtp_parser.hpp"

namespace letterbox {

void LmtpParser::feed(std::string_view bytes) {
  pending_.append(bytes);
  parse();
}

void LmtpParser::start_data() {
  mode_ = Mode::Data;
  data_line_start_ = true;
  previous_line_crlf_ = true;  // the DATA command's own CRLF precedes the first line
  data_line_length_ = 0;
  data_line_too_long_ = false;
  parse();
}

void LmtpParser::start_chunk(std::uint64_t size) {
  mode_ = Mode::Chunk;
  chunk_left_ = size;
  parse();
}

std::string LmtpParser::finish_chunks() {
  const bool cr = chunk_pending_cr_;
  chunk_pending_cr_ = false;
  return cr ? "\r" : "";
}

void LmtpParser::discard_input() {
  pending_.clear();
  events_.clear();
  skipping_long_line_ = false;
}

LmtpEvent LmtpParser::next_event() {
  LmtpEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

void LmtpParser::parse() {
  for (;;) {
    bool progressed = false;
    switch (mode_) {
      case Mode::Command: progressed = parse_command(); break;
      case Mode::Data: progressed = parse_data(); break;
      case Mode::Chunk: progressed = parse_chunk(); break;
    }
    if (!progressed) return;
  }
}

bool LmtpParser::parse_command() {
  // Stop after each command: what follows may be message data, and only the caller knows (354 or not).
  if (!events_.empty() && events_.back().kind == LmtpEvent::Kind::Command) return false;
  const auto nl = pending_.find('\n');
  if (nl == std::string::npos) {
    if (pending_.size() > kMaxCommandLine) {
      if (!skipping_long_line_) events_.push_back({LmtpEvent::Kind::LineTooLong, {}, false});
      skipping_long_line_ = true;
      pending_.clear();
    }
    return false;
  }
  std::size_t end = nl;
  if (end > 0 && pending_[end - 1] == '\r') --end;
  // The limit is on the text, as if the line ended with CRLF: with a bare LF a 511-octet command
  // would be 512 octets on the wire, yet 513 once answered, logged or relayed.
  if (skipping_long_line_ || end + 2 > kMaxCommandLine) {
    if (!skipping_long_line_) events_.push_back({LmtpEvent::Kind::LineTooLong, {}, false});
    skipping_long_line_ = false;
    pending_.erase(0, nl + 1);
    return true;
  }
  // A CR or NUL inside a command is never from a real client; passed on, it would reach the log and
  // the address parser as part of a verb or an address.
  const std::string_view line(pending_.data(), end);
  if (line.find_first_of(std::string_view("\r\0", 2)) != std::string_view::npos) {
    events_.push_back({LmtpEvent::Kind::BadCommandLine, {}, false});
  } else {
    events_.push_back({LmtpEvent::Kind::Command, std::string(line), false});
  }
  pending_.erase(0, nl + 1);
  return true;
}

void LmtpParser::emit_text(std::string_view text) {
  if (text.empty()) return;
  if (!events_.empty() && events_.back().kind == LmtpEvent::Kind::MessageText && events_.back().text.size() < 65536) {
    events_.back().text.append(text);
  } else {
    events_.push_back({LmtpEvent::Kind::MessageText, std::string(text), false});
  }
}

bool LmtpParser::parse_data() {
  std::size_t pos = 0;
  std::string out;
  bool ended = false;
  while (pos < pending_.size()) {
    if (data_line_start_) {
      // Decide what the line start is: the end marker, a stuffed dot, or ordinary text.
      if (pending_[pos] == '.') {
        const std::size_t rest = pending_.size() - pos;
        if (rest < 2 || (pending_[pos + 1] == '\r' && rest < 3)) break;  // need more bytes to tell
        if (previous_line_crlf_ && pending_.compare(pos, 3, ".\r\n") == 0) {
          pos += 3;
          ended = true;
          break;
        }
        ++pos;  // dot-unstuffing: the first dot of a line that is not the end marker
        data_line_length_ = 1;
      }
      data_line_start_ = false;
    }
    const auto nl = pending_.find('\n', pos);
    const std::size_t stop = nl == std::string::npos ? pending_.size() : nl;
    // Keep a trailing CR back until we know whether an LF follows it.
    std::size_t take = stop;
    if (nl == std::string::npos && take > pos && pending_[take - 1] == '\r') --take;
    data_line_length_ += take - pos;
    if (nl != std::string::npos) {
      const bool crlf = stop > pos && pending_[stop - 1] == '\r';
      const std::size_t text_end = crlf ? stop - 1 : stop;
      data_line_length_ += 1;  // the LF (a CR before it was counted with the text)
      if (data_line_length_ > kMaxTextLine) data_line_too_long_ = true;
      if (!data_line_too_long_) {
        out.append(pending_, pos, text_end - pos);
        out += '\n';
      }
      previous_line_crlf_ = crlf;
      data_line_start_ = true;
      data_line_length_ = 0;
      pos = nl + 1;
    } else {
      if (data_line_length_ > kMaxTextLine) data_line_too_long_ = true;
      if (!data_line_too_long_) out.append(pending_, pos, take - pos);
      pos = take;
      break;
    }
  }
  pending_.erase(0, pos);
  emit_text(out);
  if (ended) {
    events_.push_back({LmtpEvent::Kind::MessageEnd, {}, data_line_too_long_});
    mode_ = Mode::Command;
    return true;
  }
  return false;
}

bool LmtpParser::parse_chunk() {
  if (chunk_left_ > 0 && pending_.empty()) return false;
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_left_, pending_.size()));
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const char c = pending_[i];
    if (chunk_pending_cr_) {
      chunk_pending_cr_ = false;
      if (c != '\n') out += '\r';
    }
    if (c == '\r') {
      chunk_pending_cr_ = true;
    } else {
      out += c;
    }
  }
  pending_.erase(0, n);
  chunk_left_ -= n;
  if (chunk_left_ > 0) {
    emit_text(out);
    return false;
  }
  // A CR at the very end of a chunk may pair with an LF at the start of the next one; after the LAST
  // chunk the caller collects it with finish_chunks().
  emit_text(out);
  events_.push_back({LmtpEvent::Kind::ChunkEnd, {}, false});
  mode_ = Mode::Command;
  return true;
}

}  // namespace letterbox
