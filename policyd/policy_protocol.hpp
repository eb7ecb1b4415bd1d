// The Postfix policy delegation protocol (SMTPD_POLICY_README) as a pure function of bytes, so that it
// can be tested and fuzzed alone: "name=value" lines, an empty line ends a request; the reply is one
// "action=..." line and an empty line. Unknown attributes are kept and ignored, their order irrelevant.
// A request without request=smtpd_access_policy, a line over 2048 octets, more than 100 attributes, or a
// line without '=' is an error: the session logs it and closes the connection without a reply (Postfix
// then applies its default action).
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace letterbox {

struct PolicyRequest {
  std::map<std::string, std::string, std::less<>> attributes;

  // The value of `name`, or "" when absent.
  [[nodiscard]] std::string_view get(std::string_view name) const;
};

class PolicyParser {
 public:
  static constexpr std::size_t kMaxLine = 2048;  // octets, the line end (LF or CRLF) not counted
  static constexpr std::size_t kMaxAttributes = 100;

  void feed(std::string_view bytes);

  // The next complete request, if any. After an error nothing more is parsed: error() says what.
  std::optional<PolicyRequest> next();
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] bool failed() const { return !error_.empty(); }

 private:
  std::string pending_;
  std::size_t scanned_ = 0;  // bytes of pending_ already split into lines
  PolicyRequest current_;
  std::deque<PolicyRequest> ready_;
  std::string error_;
};

// "action=TEXT\n\n", with any CR or LF in TEXT replaced by a space so that a reply stays one line.
std::string format_policy_reply(std::string_view action);

}  // namespace letterbox
