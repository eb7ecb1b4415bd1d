// The text of a vacation reply (letterbox/sieve/vacation_reply.hpp).
#include "letterbox/sieve/vacation_reply.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include "letterbox/sieve/encoded_words.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

namespace {

constexpr std::string_view kCrlf = "\r\n";
// RFC 5322 §2.1.1: lines SHOULD be at most 78 characters; RFC 2047 §2: 76 where encoded words stand.
constexpr std::size_t kFoldAt = 78;
constexpr std::size_t kEncodedLine = 76;
// RFC 5322 §2.1.1: no line longer than 998 characters, else the body must be encoded.
constexpr std::size_t kMaxLine = 998;

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// A header value from a script or from the original message, on one line: controls (CR and LF above all)
// become spaces, so that no text can end the field and start another; then trimmed.
std::string clean(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) out += is_control(c) ? ' ' : c;
  const auto first = out.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

// Can stand in a header as it is: printable ASCII, and no "=?" that a reader would take for an encoded word.
bool is_plain(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return false;
  }
  return text.find("=?") == std::string_view::npos;
}

// "Name: value" and its CRLF, folded (RFC 5322 §2.2.3) before a space wherever the line would pass `width`;
// a word longer than a line stays whole. Unfolding gives the value back exactly.
std::string field(std::string_view name, std::string_view value, std::size_t width = kFoldAt) {
  std::string out(name);
  out += ": ";
  std::size_t line = out.size();
  std::size_t at = 0;
  while (at <= value.size()) {
    const auto space = value.find(' ', at + 1);
    const auto piece = value.substr(at, space == std::string_view::npos ? std::string_view::npos : space - at);
    // Every piece but the first starts with the space it follows: the fold goes before that space.
    if (at > 0 && line + piece.size() > width) {
      out += kCrlf;
      line = 0;
    }
    out += piece;
    line += piece.size();
    if (space == std::string_view::npos) break;
    at = space;
  }
  out += kCrlf;
  return out;
}

// Encoded words separated by spaces, which a reader drops between two of them (RFC 2047 §6.2): folded at
// those spaces, each line holds words and stays within 76 characters.
std::string joined_words(std::string_view name, std::string_view text) {
  std::string out;
  for (const auto& word : encode_words(text, kEncodedLine - name.size() - 2)) out += (out.empty() ? "" : " ") + word;
  return out;
}

// A field of unstructured text: as it is when plain, else as encoded words.
std::string text_field(std::string_view name, std::string_view text) {
  if (is_plain(text)) return field(name, text);
  return field(name, joined_words(name, text), kEncodedLine);
}

// A mailbox ("addr@example.org", or "Display Name <addr@example.org>"): a display name that is not plain
// ASCII is encoded (RFC 2047 §5 (3)), surrounding quotes off; the address itself is left as it is.
std::string mailbox_field(std::string_view name, std::string_view mailbox) {
  const auto open = mailbox.rfind('<');
  if (is_plain(mailbox) || open == std::string_view::npos || open == 0) return field(name, mailbox);
  std::string display = clean(mailbox.substr(0, open));
  if (display.size() >= 2 && display.front() == '"' && display.back() == '"') {
    display = display.substr(1, display.size() - 2);
  }
  if (display.empty()) return field(name, mailbox.substr(open));
  return field(name, joined_words(name, display) + " " + std::string(mailbox.substr(open)), kEncodedLine);
}

// The message identifiers "<...>" in a field's value, in order; anything between them (comments, junk) is
// dropped, and an identifier holding white space is not one.
std::vector<std::string> message_ids(std::string_view value) {
  std::vector<std::string> ids;
  std::size_t at = 0;
  while ((at = value.find('<', at)) != std::string_view::npos) {
    const auto close = value.find('>', at);
    if (close == std::string_view::npos) break;
    const auto id = value.substr(at, close - at + 1);
    if (id.size() > 2 && id.find_first_of(" \t") == std::string_view::npos) ids.emplace_back(id);
    at = close + 1;
  }
  return ids;
}

std::string first_value(const MessageHeaders& headers, std::string_view name) {
  const auto values = headers.values(name);
  return values.empty() ? std::string() : clean(values.front());
}

// The body's lines, whatever their ends (CRLF, LF, a lone CR), each ending in CRLF; "" stays "".
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = text.find_first_of("\r\n", at);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(at));
      break;
    }
    lines.push_back(text.substr(at, end - at));
    at = end + (text.compare(end, 2, kCrlf) == 0 ? 2 : 1);
  }
  return lines;
}

bool needs_encoding(const std::vector<std::string_view>& lines) {
  for (const auto line : lines) {
    if (line.size() > kMaxLine) return true;
    for (const char c : line) {
      if (static_cast<unsigned char>(c) > 0x7e || (is_control(c) && c != '\t')) return true;
    }
  }
  return false;
}

// One line in quoted-printable (RFC 2045 §6.7): encoded lines of at most 76 characters, soft breaks "="
// between whole encodings, white space at the end of the line encoded so that no transport strips it.
std::string quoted_printable_line(std::string_view line) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t length = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto u = static_cast<unsigned char>(line[i]);
    const bool last = i + 1 == line.size();
    std::string token;
    if ((u >= 33 && u <= 126 && u != '=') || ((u == ' ' || u == '\t') && !last)) {
      token = std::string(1, line[i]);
    } else {
      token = {'=', kHex[u >> 4], kHex[u & 0xf]};
    }
    if (length + token.size() > kEncodedLine - 1) {
      out += "=\r\n";
      length = 0;
    }
    out += token;
    length += token.size();
  }
  out += kCrlf;
  return out;
}

}  // namespace

std::string compose_vacation_reply(const VacationAction& action, const MessageHeaders& original,
                                   const VacationReplyStamp& stamp) {
  std::string out;
  out += field("Message-ID", clean(stamp.message_id));
  out += field("Date", date_part(stamp.date, "std11").value_or(""));
  const std::string from = action.from ? clean(*action.from) : std::string();
  out += from.empty() ? field("From", clean(action.recipient)) : mailbox_field("From", from);
  out += field("To", clean(action.reply_to));

  // RFC 5230 §5.4: the original subject is decoded before "Auto: " goes in front, and the whole encoded
  // again if need be, rather than glueing ASCII to someone else's encoded words.
  std::string subject;
  if (action.subject) {
    subject = clean(*action.subject);
  } else if (const auto subjects = original.decoded_values("Subject"); !subjects.empty()) {
    subject = "Auto: " + clean(subjects.front());
  } else {
    subject = "Automated reply";
  }
  out += text_field("Subject", subject);

  const auto parent = message_ids(first_value(original, "Message-ID"));
  if (!parent.empty()) {
    // RFC 5322 §3.6.4: the parent's References, else its In-Reply-To when that names one message, then
    // the parent's own identifier.
    auto references = message_ids(first_value(original, "References"));
    if (references.empty()) {
      auto in_reply_to = message_ids(first_value(original, "In-Reply-To"));
      if (in_reply_to.size() == 1) references = std::move(in_reply_to);
    }
    references.push_back(parent.front());
    std::string joined;
    for (const auto& id : references) joined += (joined.empty() ? "" : " ") + id;
    out += field("In-Reply-To", parent.front());
    out += field("References", joined);
  }
  out += "Auto-Submitted: auto-replied (vacation)\r\n";
  out += "MIME-Version: 1.0\r\n";

  const auto lines = lines_of(action.reason);
  if (action.mime) {
    // The reason is the entity: its header fields follow ours, then its empty line and body.
    for (const auto line : lines) {
      out += line;
      out += kCrlf;
    }
    // An entity given without a body still needs the empty line that ends the header section.
    if (std::find(lines.begin(), lines.end(), std::string_view()) == lines.end()) out += kCrlf;
    return out;
  }
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  if (needs_encoding(lines)) {
    out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    for (const auto line : lines) out += quoted_printable_line(line);
  } else {
    out += "Content-Transfer-Encoding: 7bit\r\n\r\n";
    for (const auto line : lines) {
      out += line;
      out += kCrlf;
    }
  }
  return out;
}

}  // namespace letterbox::sieve
