// PolicyParser: the same bytes cut at arbitrary places give the same requests and the same error as the
// bytes fed whole; every request it hands over is within the protocol's limits and names
// request=smtpd_access_policy; a reply is always exactly one line.
#include <string>
#include <vector>

#include "fuzz_targets.hpp"
#include "policy_protocol.hpp"

namespace letterbox::fuzz {
namespace {

struct Parsed {
  std::vector<PolicyRequest> requests;
  std::string error;
};

Parsed parse(std::string_view bytes, std::uint32_t seed) {
  PolicyParser parser;
  Parsed out;
  feed_in_pieces(bytes, seed, [&](std::string_view piece) {
    parser.feed(piece);
    while (auto r = parser.next()) out.requests.push_back(std::move(*r));
  });
  out.error = parser.error();
  return out;
}

}  // namespace

int policy_protocol(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto whole = parse(bytes, 0);
  for (std::uint32_t seed : {1U, 0x9e3779b9U}) {
    const auto cut = parse(bytes, seed);
    FUZZ_CHECK(cut.error == whole.error);
    FUZZ_CHECK(cut.requests.size() == whole.requests.size());
    for (std::size_t i = 0; i < cut.requests.size(); ++i) {
      FUZZ_CHECK(cut.requests[i].attributes == whole.requests[i].attributes);
    }
  }
  for (const auto& request : whole.requests) {
    FUZZ_CHECK(request.get("request") == "smtpd_access_policy");
    FUZZ_CHECK(request.attributes.size() <= PolicyParser::kMaxAttributes);
    for (const auto& [name, value] : request.attributes) {
      FUZZ_CHECK(!name.empty() && name.find('=') == std::string::npos && name.find('\n') == std::string::npos);
      FUZZ_CHECK(value.find('\n') == std::string::npos);
      FUZZ_CHECK(name.size() + 1 + value.size() <= PolicyParser::kMaxLine);
    }
    const std::string reply = format_policy_reply(request.get("recipient"));
    FUZZ_CHECK(reply.starts_with("action=") && reply.ends_with("\n\n"));
    FUZZ_CHECK(reply.find('\n') == reply.size() - 2 && reply.find('\r') == std::string::npos);
  }
  return 0;
}

}  // namespace letterbox::fuzz
