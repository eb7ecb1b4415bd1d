// A redirected message and its loop marks (letterbox/sieve/redirect_message.hpp).
#include "letterbox/sieve/redirect_message.hpp"

#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

namespace {

// "<User@Example.org> " → "user@example.org": how a mark or a Delivered-To names an address.
std::string normalised_address(std::string_view text) {
  const auto first = text.find_first_not_of(" \t<");
  if (first == std::string_view::npos) return "";
  const auto last = text.find_last_not_of(" \t>");
  return ascii_lower(text.substr(first, last - first + 1));
}

bool names(const MessageHeaders& headers, std::string_view field, std::string_view address) {
  const auto wanted = normalised_address(address);
  if (wanted.empty()) return false;
  for (const auto value : headers.values(field)) {
    if (normalised_address(value) == wanted) return true;
  }
  return false;
}

bool is_return_path(std::string_view line) {
  static constexpr std::string_view kName = "return-path:";
  return line.size() >= kName.size() && iequals_ascii(line.substr(0, kName.size()), kName);
}

}  // namespace

RedirectMessage::RedirectMessage(std::string_view original, std::string_view redirecting_user) {
  const auto first_end = original.find('\n');
  const bool lf_only = first_end != std::string_view::npos && (first_end == 0 || original[first_end - 1] != '\r');
  mark_ = std::string(kRedirectMarkField) + ": " + std::string(redirecting_user) + (lf_only ? "\n" : "\r\n");

  // Walk the header section line by line; a Return-Path field and its continuation lines are left out.
  std::size_t piece_start = 0;
  std::size_t at = 0;
  bool skipping = false;
  // An mbox "From " line (a message read from a file rather than from the LDA's spool) is not a header
  // field: behind the mark it would end the header section for the MTA, so it goes.
  if (original.starts_with("From ")) {
    const auto nl = original.find('\n');
    at = piece_start = nl == std::string_view::npos ? original.size() : nl + 1;
  }
  while (at < original.size()) {
    const auto nl = original.find('\n', at);
    const auto next = nl == std::string_view::npos ? original.size() : nl + 1;
    const auto line = original.substr(at, next - at);
    if (line == "\n" || line == "\r\n") break;  // the end of the header section
    const bool continuation = line.front() == ' ' || line.front() == '\t';
    if (!continuation) {
      const bool drop = is_return_path(line);
      if (drop && !skipping) {
        if (at > piece_start) original_pieces_.push_back(original.substr(piece_start, at - piece_start));
      } else if (!drop && skipping) {
        piece_start = at;
      }
      skipping = drop;
    }
    at = next;
  }
  if (skipping) piece_start = at;
  if (piece_start < original.size()) original_pieces_.push_back(original.substr(piece_start));
}

std::vector<std::string_view> RedirectMessage::parts() const {
  std::vector<std::string_view> parts{mark_};
  parts.insert(parts.end(), original_pieces_.begin(), original_pieces_.end());
  return parts;
}

RedirectLoop redirect_loop(const MessageHeaders& headers, std::span<const std::string> user_addresses,
                           std::string_view target) {
  for (const auto& address : user_addresses) {
    if (names(headers, kRedirectMarkField, address)) return RedirectLoop::redirected_by_user;
  }
  if (names(headers, kRedirectMarkField, target)) return RedirectLoop::redirected_by_target;
  if (names(headers, "Delivered-To", target)) return RedirectLoop::delivered_to_target;
  return RedirectLoop::none;
}

std::string_view describe(RedirectLoop why) {
  switch (why) {
    case RedirectLoop::none: return "no loop";
    case RedirectLoop::redirected_by_user: return "the message was redirected by this user before";
    case RedirectLoop::redirected_by_target: return "the message was redirected here by the target";
    case RedirectLoop::delivered_to_target: return "the message was delivered to the target before";
  }
  return "no loop";
}

std::string redirect_duplicate_id(const MessageHeaders& headers, std::string_view recipient, std::string_view target) {
  auto first = [&](std::string_view name) {
    const auto values = headers.values(name);
    return values.empty() ? std::string() : std::string(values.front());
  };
  // Fields separated by a byte no address or unfolded field holds, so that no two lists of fields join
  // into the same text.
  static constexpr char kSeparator = '\0';
  std::string id;
  if (auto message_id = first("Message-ID"); !message_id.empty()) {
    id = message_id;
  } else {
    for (const auto& f : headers.fields()) id += f.name + ":" + f.raw + "\n";
  }
  id += kSeparator + normalised_address(recipient) + kSeparator + normalised_address(target) + kSeparator;
  auto resent = first("Resent-Message-ID");
  if (resent.empty()) resent = first("Resent-From");
  id += resent + kSeparator + first("List-Id");
  return id;
}

}  // namespace letterbox::sieve
