#include "policy_protocol.hpp"

namespace letterbox {

std::string_view PolicyRequest::get(std::string_view name) const {
  const auto it = attributes.find(name);
  return it == attributes.end() ? std::string_view() : std::string_view(it->second);
}

void PolicyParser::feed(std::string_view bytes) {
  if (failed()) return;
  pending_.append(bytes);
  std::size_t start = 0;
  while (!failed()) {
    const auto nl = pending_.find('\n', start + scanned_);
    if (nl == std::string::npos) {
      scanned_ = pending_.size() - start;
      // One more octet may still be the CR of a CRLF line end.
      if (scanned_ > kMaxLine + 1) error_ = "a line over " + std::to_string(kMaxLine) + " octets";
      break;
    }
    scanned_ = 0;
    std::string_view line(pending_.data() + start, nl - start);
    start = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // tolerated, as Postfix's own servers do
    if (line.size() > kMaxLine) {
      error_ = "a line over " + std::to_string(kMaxLine) + " octets";
      break;
    }
    if (line.empty()) {
      if (current_.attributes.empty()) continue;  // stray blank lines between requests
      if (current_.get("request") != "smtpd_access_policy") {
        error_ = current_.attributes.count("request") != 0
                     ? "request=" + std::string(current_.get("request")) + " is not smtpd_access_policy"
                     : "a request without request=smtpd_access_policy";
        break;
      }
      ready_.push_back(std::move(current_));
      current_ = PolicyRequest{};
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      error_ = "a line that is not name=value";
      break;
    }
    if (current_.attributes.size() >= kMaxAttributes) {
      error_ = "more than " + std::to_string(kMaxAttributes) + " attributes";
      break;
    }
    // A repeated name keeps its last value, as Postfix's own attribute reader does.
    current_.attributes.insert_or_assign(std::string(line.substr(0, equals)), std::string(line.substr(equals + 1)));
  }
  pending_.erase(0, start);
}

std::optional<PolicyRequest> PolicyParser::next() {
  if (ready_.empty()) return std::nullopt;
  PolicyRequest request = std::move(ready_.front());
  ready_.pop_front();
  return request;
}

std::string format_policy_reply(std::string_view action) {
  std::string out = "action=";
  for (char c : action) out += (c == '\r' || c == '\n') ? ' ' : c;
  out += "\n\n";
  return out;
}

}  // namespace letterbox
