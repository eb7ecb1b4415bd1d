#include "letterbox/sieve/body_parts.hpp"

#include <optional>

#include "letterbox/sieve/charset.hpp"
#include "letterbox/sieve/message_headers.hpp"
#include "letterbox/sieve/transfer_encoding.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

namespace {

// A parameter of a Content-Type value ("boundary", "charset"), unquoted; "" when absent.
std::string parameter(std::string_view value, std::string_view name) {
  std::size_t pos = value.find(';');
  while (pos != std::string_view::npos) {
    const std::size_t start = pos + 1;
    bool quoted = false;
    std::size_t end = start;
    for (; end < value.size() && (quoted || value[end] != ';'); ++end) {
      if (value[end] == '"') quoted = !quoted;
    }
    const std::string_view param = trim_space(value.substr(start, end - start));
    const std::size_t eq = param.find('=');
    if (eq != std::string_view::npos && iequals_ascii(trim_space(param.substr(0, eq)), name)) {
      std::string_view v = trim_space(param.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return std::string(v);
    }
    pos = end < value.size() ? end : std::string_view::npos;
  }
  return {};
}

// One entity's headers, read into `part`; `default_type` is message/rfc822 inside multipart/digest.
void read_entity(std::string_view text, bool digest_child, MimePart& part) {
  const auto headers = MessageHeaders::parse(text, {256});
  part.header = text.substr(0, headers.body_offset());
  part.body = text.substr(headers.body_offset());
  if (digest_child) {
    part.type = "message";  // RFC 2046 §5.1.5: the default inside multipart/digest
    part.subtype = "rfc822";
  }
  const auto types = headers.values("content-type");
  if (!types.empty()) {
    const std::string_view full = trim_space(types.front().substr(0, types.front().find(';')));
    const std::size_t slash = full.find('/');
    if (slash != std::string_view::npos && slash > 0 && slash + 1 < full.size()) {
      part.type = ascii_lower(trim_space(full.substr(0, slash)));
      part.subtype = ascii_lower(trim_space(full.substr(slash + 1)));
      part.charset = parameter(types.front(), "charset");
      part.boundary = parameter(types.front(), "boundary");
    }
  }
  const auto encodings = headers.values("content-transfer-encoding");
  if (!encodings.empty()) part.transfer_encoding = ascii_lower(trim_space(encodings.front()));
}

// Does the line at `pos` start with "--boundary"? Sets `close` when it is "--boundary--".
bool delimiter_at(std::string_view body, std::size_t pos, std::string_view boundary, bool& close) {
  if (body.substr(pos, 2) != "--" || body.substr(pos + 2, boundary.size()) != boundary) return false;
  close = body.substr(pos + 2 + boundary.size(), 2) == "--";
  return true;
}

// The start of the line break before `pos` (CRLF or LF), which belongs to the delimiter (RFC 2046 §5.1.1).
std::size_t before_break(std::string_view body, std::size_t pos) {
  if (pos > 0 && body[pos - 1] == '\n') --pos;
  if (pos > 0 && body[pos - 1] == '\r') --pos;
  return pos;
}

// Splits a multipart body at its boundary: fills prologue and epilogue, returns the parts' texts.
std::vector<std::string_view> split_multipart(MimePart& part, std::string_view boundary) {
  std::vector<std::string_view> children;
  const std::string_view body = part.body;
  std::optional<std::size_t> part_start;
  for (std::size_t line = 0; line < body.size();) {
    const std::size_t eol = body.find('\n', line);
    const std::size_t next = eol == std::string_view::npos ? body.size() : eol + 1;
    bool close = false;
    if (delimiter_at(body, line, boundary, close)) {
      const std::size_t end = before_break(body, line);
      if (part_start) children.push_back(body.substr(*part_start, std::max(end, *part_start) - *part_start));
      if (!part_start) part.prologue = body.substr(0, end);
      if (close) {
        part.epilogue = body.substr(next);
        return children;
      }
      part_start = next;
    }
    line = next;
  }
  if (part_start) children.push_back(body.substr(*part_start));  // no closing delimiter: up to the end
  return children;
}

struct PendingEntity {
  std::string_view text;
  std::size_t depth;
  bool digest_child;
};

}  // namespace

std::vector<MimePart> mime_parts(std::string_view message, const BodyLimits& limits, bool& truncated) {
  truncated = false;
  std::vector<MimePart> parts;
  std::vector<PendingEntity> stack{{message, 0, false}};
  while (!stack.empty()) {
    if (parts.size() >= limits.max_parts) {
      truncated = true;
      break;
    }
    const PendingEntity next = stack.back();
    stack.pop_back();
    MimePart part;
    part.depth = next.depth;
    read_entity(next.text, next.digest_child, part);
    std::vector<PendingEntity> children;
    const bool nests = part.is_multipart() || part.is_message();
    if (nests && next.depth >= limits.max_depth) truncated = true;
    if (part.is_message() && next.depth < limits.max_depth) children.push_back({part.body, next.depth + 1, false});
    if (part.is_multipart() && !part.boundary.empty() && next.depth < limits.max_depth) {
      for (auto text : split_multipart(part, part.boundary)) {
        children.push_back({text, next.depth + 1, part.subtype == "digest"});
      }
    }
    parts.push_back(std::move(part));
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(*it);  // document order
  }
  return parts;
}

std::string decoded_content(const MimePart& part) {
  std::string octets = part.transfer_encoding == "base64"             ? decode_base64(part.body)
                       : part.transfer_encoding == "quoted-printable" ? decode_quoted_printable(part.body)
                                                                      : std::string(part.body);
  if (part.type != "text") return octets;
  auto text = convert_to_utf8(octets, part.charset.empty() ? "us-ascii" : part.charset);
  return text ? std::move(*text) : octets;
}

bool content_type_matches(const MimePart& part, std::string_view spec) {
  if (spec.empty()) return true;
  const std::size_t slash = spec.find('/');
  if (slash == std::string_view::npos) return iequals_ascii(spec, part.type);
  if (slash == 0 || slash + 1 == spec.size() || spec.find('/', slash + 1) != std::string_view::npos) return false;
  return iequals_ascii(spec.substr(0, slash), part.type) && iequals_ascii(spec.substr(slash + 1), part.subtype);
}

std::vector<std::string> body_values(std::string_view message, BodyTransform transform,
                                     std::span<const std::string> content_types, const BodyLimits& limits) {
  const std::size_t body_offset = MessageHeaders::parse(message, {1}).body_offset();
  // RFC 5173 §5: a header not followed by an empty line has no body at all, so that every body test is
  // false, even one for "" (an empty body after the empty line is still a body).
  const std::string_view header = message.substr(0, body_offset);
  const bool separated = header.ends_with("\n\n") || header.ends_with("\n\r\n") || header == "\n" || header == "\r\n";
  if (body_offset == message.size() && !separated) return {};
  if (transform == BodyTransform::raw) return {std::string(message.substr(body_offset))};
  bool truncated = false;
  std::vector<std::string> values;
  for (const MimePart& part : mime_parts(message, limits, truncated)) {
    bool wanted = false;
    if (transform == BodyTransform::text) {
      wanted = part.type == "text";
    } else {
      for (const auto& spec : content_types) wanted = wanted || content_type_matches(part, spec);
    }
    if (!wanted) continue;
    if (part.is_multipart()) {
      values.emplace_back(part.prologue);
      values.emplace_back(part.epilogue);
    } else if (part.is_message()) {
      // The nested header section, without the empty line that ends it (RFC 5322 §2.1: the line separates
      // the header from the body and belongs to neither).
      std::string_view header = part.body.substr(0, MessageHeaders::parse(part.body, {256}).body_offset());
      if (header.ends_with("\r\n\r\n")) {
        header.remove_suffix(2);
      } else if (header.ends_with("\n\n")) {
        header.remove_suffix(1);
      }
      values.emplace_back(header);
    } else {
      values.push_back(decoded_content(part));
    }
  }
  return values;
}

}  // namespace letterbox::sieve
