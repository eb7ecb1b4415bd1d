// parse_config: any text either parses or throws ConfigError (anything else escaping is a bug); what
// parses prints back (--check-config's output) to a file that parses to the same effective settings.
#include <string>

#include "fuzz_targets.hpp"
#include "letterbox/config/config.hpp"

namespace letterbox::fuzz {

int config(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Settings settings;
  try {
    settings = parse_config(text, "fuzz.conf");
  } catch (const ConfigError& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with("fuzz.conf:"));
    return 0;
  }
  const std::string printed = format_effective_config(settings);
  Settings reread;
  try {
    reread = parse_config(printed, "printed.conf");
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    FUZZ_CHECK(!"the effective configuration does not parse");
  }
  FUZZ_CHECK(format_effective_config(reread) == printed);
  return 0;
}

}  // namespace letterbox::fuzz
