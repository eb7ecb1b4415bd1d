// The body test's view of a message (RFC 5173): the raw body, or its MIME parts (RFC 2045, 2046) found by
// walking multiparts and message/rfc822 parts, decoded to UTF-8 text. Bounded: at most max_parts parts and
// max_depth levels of nesting, walked with an explicit stack (no recursion).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace letterbox::sieve {

struct BodyLimits {
  std::size_t max_parts = 256;
  std::size_t max_depth = 16;  // the message is depth 0, its parts 1...
};

// One MIME entity. Views point into the message passed to mime_parts().
struct MimePart {
  std::string type = "text";  // lower case; text/plain when missing or invalid (RFC 2045 §5.2)
  std::string subtype = "plain";
  std::string charset;            // the charset parameter, if any
  std::string boundary;           // multipart only
  std::string transfer_encoding;  // lower case, "" when missing
  std::size_t depth = 0;
  std::string_view header;    // the entity's header section, as written
  std::string_view body;      // after the header's empty line
  std::string_view prologue;  // multipart only: before the first boundary...
  std::string_view epilogue;  // ...and after the last
  bool is_multipart() const { return type == "multipart"; }
  bool is_message() const { return type == "message" && subtype == "rfc822"; }
};

// Every entity in document order: the message first, then each part, nested ones right after their
// container. `truncated` tells whether a limit cut the walk short.
std::vector<MimePart> mime_parts(std::string_view message, const BodyLimits& limits, bool& truncated);

// A leaf part's content: transfer encoding removed, and for text/* the charset converted to UTF-8 (an
// unknown charset leaves the octets as they are: RFC 5173 §6 lets such parts be matched as they are).
std::string decoded_content(const MimePart& part);

// RFC 5173 §5.2: "" matches every type, "type" every subtype of it, "type/subtype" that one only; one
// starting or ending with '/' or with two '/' matches nothing. Without regard to case.
bool content_type_matches(const MimePart& part, std::string_view spec);

enum class BodyTransform { raw, content, text };

// The strings the body test compares with its keys. :raw: the whole undecoded body. :content: each part
// whose type matches one of `content_types` — a multipart's prologue and epilogue, a message/rfc822's
// nested header, any other part's decoded content. :text: the decoded content of every text/* leaf (RFC
// 5173 §5.3 allows this simple form; mark-up is not stripped). The body test never sets match variables
// (RFC 5173 §6): match() it without them.
std::vector<std::string> body_values(std::string_view message, BodyTransform transform,
                                     std::span<const std::string> content_types = {}, const BodyLimits& limits = {});

}  // namespace letterbox::sieve
