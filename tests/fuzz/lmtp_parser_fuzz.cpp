// LmtpParser: the same bytes cut at arbitrary places give the same events as the bytes fed whole; every
// command is a single line within the limit, and prints back to a line that parses to the same command.
#include <string>
#include <vector>

#include "fuzz_targets.hpp"
#include "lmtp_parser.hpp"

namespace letterbox::fuzz {
namespace {

bool starts_with_word(const std::string& line, std::string_view word) {
  if (line.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if ((line[i] & ~0x20) != word[i]) return false;
  }
  return line.size() == word.size() || line[word.size()] == ' ';
}

// Drives the parser as LmtpSession does: DATA switches to data mode, BDAT n to chunk mode.
struct Driver {
  LmtpParser parser;
  std::vector<LmtpEvent> events;
  void feed(std::string_view bytes) {
    parser.feed(bytes);
    while (parser.has_event()) {
      LmtpEvent event = parser.next_event();
      if (event.kind == LmtpEvent::Kind::Command) {
        if (starts_with_word(event.text, "DATA")) parser.start_data();
        if (starts_with_word(event.text, "BDAT")) {
          const auto size = std::strtoull(event.text.c_str() + 4, nullptr, 10);
          parser.start_chunk(size % 4096);
        }
      }
      events.push_back(std::move(event));
    }
  }
};

// Adjacent MessageText events may be split differently; compare them joined. The text of a message
// refused for a line over 1000 octets goes nowhere, and how much of it came out before the parser saw
// the long line depends on the chunking: drop it (found by this target).
std::vector<LmtpEvent> merged(const std::vector<LmtpEvent>& events) {
  std::vector<LmtpEvent> out;
  std::size_t text_start = 0;  // where the current message's text begins in `out`
  for (const auto& e : events) {
    if (e.kind == LmtpEvent::Kind::MessageText) {
      if (e.text.empty()) continue;
      if (!out.empty() && out.back().kind == LmtpEvent::Kind::MessageText) {
        out.back().text += e.text;
        continue;
      }
      text_start = out.size();
    } else if (e.kind == LmtpEvent::Kind::MessageEnd && e.line_too_long && text_start < out.size() &&
               out[text_start].kind == LmtpEvent::Kind::MessageText) {
      out.resize(text_start);
    }
    out.push_back(e);
    if (e.kind != LmtpEvent::Kind::MessageText) text_start = out.size();
  }
  // The same holds for a message the input leaves unfinished: until its end, whether a long line has
  // been seen (and its text withheld) depends on where the bytes were cut. Such text is never delivered.
  if (text_start < out.size() && out[text_start].kind == LmtpEvent::Kind::MessageText) out.resize(text_start);
  return out;
}

}  // namespace

int lmtp_parser(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Driver whole;
  whole.feed(bytes);
  Driver pieces;
  // Cut points from the bytes themselves, so that libFuzzer explores chunkings too.
  std::uint32_t seed = 2166136261U;
  for (unsigned char c : bytes) seed = (seed ^ c) * 16777619U;
  feed_in_pieces(
      bytes, seed | 1U, [&](std::string_view piece) { pieces.feed(piece); }, 700);
  Driver bytewise;
  for (char c : bytes) bytewise.feed(std::string_view(&c, 1));

  const auto a = merged(whole.events);
  const auto b = merged(pieces.events);
  const auto c = merged(bytewise.events);
  FUZZ_CHECK(a.size() == b.size() && a.size() == c.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    FUZZ_CHECK(a[i].kind == b[i].kind && a[i].text == b[i].text && a[i].line_too_long == b[i].line_too_long);
    FUZZ_CHECK(a[i].kind == c[i].kind && a[i].text == c[i].text && a[i].line_too_long == c[i].line_too_long);
    if (a[i].kind != LmtpEvent::Kind::Command) continue;
    const std::string& command = a[i].text;
    FUZZ_CHECK(command.size() + 2 <= LmtpParser::kMaxCommandLine);
    FUZZ_CHECK(command.find('\n') == std::string::npos);
    FUZZ_CHECK(command.find('\r') == std::string::npos);
    // The command prints back to an equivalent line.
    LmtpParser again;
    again.feed(command + "\r\n");
    FUZZ_CHECK(again.has_event());
    const auto reparsed = again.next_event();
    FUZZ_CHECK(reparsed.kind == LmtpEvent::Kind::Command && reparsed.text == command);
    FUZZ_CHECK(!again.has_event());
  }
  return 0;
}

}  // namespace letterbox::fuzz
