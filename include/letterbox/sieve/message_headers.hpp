// A parsed view of a message's header section (RFC 5322 §2.2): its fields in order, each with its name,
// its raw value and its unfolded value, found by name without regard to case; and where the body starts.
// Lines may end in CRLF or in LF alone (the LDA reads local mail with LF).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace letterbox::sieve {

struct HeaderField {
  std::string name;   // as written (RFC 5322 field-name: printable ASCII but ':')
  std::string raw;    // everything after the ':', its folds as CRLF
  std::string value;  // unfolded (line breaks before white space removed), leading and trailing white space off
};

struct HeaderLimits {
  std::size_t max_fields = 10000;  // past this, fields are dropped and truncated() says so
};

class MessageHeaders {
 public:
  // Never fails: a line that is not a field (no ':', or a name with a space or control in it) is skipped, as
  // Dovecot skips it; a continuation line before any field is skipped too. The section ends at the first
  // empty line, or at the end of the message when there is none (then there is no body).
  static MessageHeaders parse(std::string_view message, const HeaderLimits& limits = {});

  const std::vector<HeaderField>& fields() const { return fields_; }

  // The unfolded values of every field named `name` (any case), in the message's order.
  std::vector<std::string_view> values(std::string_view name) const;
  // The same with RFC 2047 encoded words decoded to UTF-8: what Sieve's header test compares.
  std::vector<std::string> decoded_values(std::string_view name) const;
  bool has(std::string_view name) const;

  // The offset of the body in the parsed message: just after the empty line, or the message's size.
  std::size_t body_offset() const { return body_offset_; }
  bool truncated() const { return truncated_; }

 private:
  std::vector<HeaderField> fields_;
  std::size_t body_offset_ = 0;
  bool truncated_ = false;
};

// Unfolds a raw value (RFC 5322 §2.2.3: a line break followed by white space is removed) and trims it.
std::string unfold(std::string_view raw);

}  // namespace letterbox::sieve
