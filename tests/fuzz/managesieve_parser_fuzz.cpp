// ManageSieveParser: the same bytes cut at arbitrary places give the same lines as the bytes fed whole;
// a line handed over is within the protocol's limits (a command name of letters, upper-cased; at most
// kMaxArguments arguments; literals within the limit); what the parser holds stays bounded.
#include <string>
#include <vector>

#include "fuzz_targets.hpp"
#include "managesieve_parser.hpp"

namespace letterbox::fuzz {
namespace {

constexpr std::uint64_t kMaxLiteral = 4096;

std::vector<ManageSieveLine> parse(std::string_view bytes, std::uint32_t seed) {
  ManageSieveParser parser(kMaxLiteral);
  std::vector<ManageSieveLine> lines;
  feed_in_pieces(bytes, seed, [&](std::string_view piece) {
    parser.feed(piece);
    while (auto line = parser.next()) {
      // A SASL exchange: after AUTHENTICATE, one continuation line.
      if (line->status == ManageSieveLine::Status::Ok && line->name == "AUTHENTICATE") parser.expect_continuation();
      lines.push_back(std::move(*line));
    }
    FUZZ_CHECK(parser.buffered() <= ManageSieveParser::kMaxLine + 2 * kMaxLiteral + 600);
  });
  return lines;
}

}  // namespace

int managesieve_parser(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto whole = parse(bytes, 0);
  for (std::uint32_t seed : {1U, 0x9e3779b9U}) {
    const auto cut = parse(bytes, seed);
    FUZZ_CHECK(cut.size() == whole.size());
    for (std::size_t i = 0; i < cut.size(); ++i) {
      FUZZ_CHECK(cut[i].status == whole[i].status);
      FUZZ_CHECK(cut[i].name == whole[i].name);
      FUZZ_CHECK(cut[i].problem == whole[i].problem);
      FUZZ_CHECK(cut[i].arguments.size() == whole[i].arguments.size());
      for (std::size_t a = 0; a < cut[i].arguments.size(); ++a) {
        FUZZ_CHECK(cut[i].arguments[a].kind == whole[i].arguments[a].kind);
        FUZZ_CHECK(cut[i].arguments[a].text == whole[i].arguments[a].text);
      }
    }
  }
  for (const auto& line : whole) {
    FUZZ_CHECK(line.arguments.size() <= ManageSieveParser::kMaxArguments);
    for (const char c : line.name) FUZZ_CHECK(c >= 'A' && c <= 'Z');
    if (line.status != ManageSieveLine::Status::Ok) {
      FUZZ_CHECK(!line.problem.empty());
      FUZZ_CHECK(line.arguments.empty());
      continue;
    }
    std::uint64_t total = 0;
    for (const auto& argument : line.arguments) total += argument.text.size();
    FUZZ_CHECK(total <= ManageSieveParser::kMaxLine + kMaxLiteral);
  }
  return 0;
}

}  // namespace letterbox::fuzz
