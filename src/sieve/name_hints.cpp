// "unknown command" is more useful with its likely cause: an extension not required, or a typo.
#include <array>
#include <optional>

#include "compile_tests.hpp"
#include "strings.hpp"

namespace letterbox::sieve {
namespace {

struct KnownName {
  std::string_view name;
  std::optional<Extension> extension;
  bool command;
};

constexpr std::array<KnownName, 39> kKnownNames = {{
    {"require", std::nullopt, true},
    {"if", std::nullopt, true},
    {"elsif", std::nullopt, true},
    {"else", std::nullopt, true},
    {"stop", std::nullopt, true},
    {"keep", std::nullopt, true},
    {"discard", std::nullopt, true},
    {"redirect", std::nullopt, true},
    {"fileinto", Extension::fileinto, true},
    {"reject", Extension::reject, true},
    {"ereject", Extension::ereject, true},
    {"vacation", Extension::vacation, true},
    {"setflag", Extension::imap4flags, true},
    {"addflag", Extension::imap4flags, true},
    {"removeflag", Extension::imap4flags, true},
    {"set", Extension::variables, true},
    {"include", Extension::include, true},
    {"return", Extension::include, true},
    {"global", Extension::include, true},
    {"error", Extension::ihave, true},
    {"address", std::nullopt, false},
    {"allof", std::nullopt, false},
    {"anyof", std::nullopt, false},
    {"exists", std::nullopt, false},
    {"false", std::nullopt, false},
    {"true", std::nullopt, false},
    {"header", std::nullopt, false},
    {"not", std::nullopt, false},
    {"size", std::nullopt, false},
    {"envelope", Extension::envelope, false},
    {"body", Extension::body, false},
    {"date", Extension::date, false},
    {"currentdate", Extension::date, false},
    {"string", Extension::variables, false},
    {"hasflag", Extension::imap4flags, false},
    {"mailboxexists", Extension::mailbox, false},
    {"duplicate", Extension::duplicate, false},
    {"environment", Extension::environment, false},
    {"ihave", Extension::ihave, false},
}};

}  // namespace

std::string unknown_name_hint(const Context& context, std::string_view name, bool command) {
  for (const auto& known : kKnownNames) {
    if (known.name == name && known.command != command) {
      return std::string(" (\"") + std::string(name) + "\" is a " + (command ? "test)" : "command)");
    }
  }
  const KnownName* nearest = nullptr;
  unsigned best = 3;  // more than two edits away is no longer a typo
  for (const auto& known : kKnownNames) {
    if (known.command != command) continue;
    const unsigned distance = edit_distance(name, known.name);
    if (distance < best) {
      best = distance;
      nearest = &known;
    }
  }
  if (nearest == nullptr) return {};
  const bool missing_require = nearest->extension && !context.enabled.has(*nearest->extension);
  if (best == 0 && missing_require) {
    return " (missing require \"" + std::string(extension_name(*nearest->extension)) + "\"?)";
  }
  if (missing_require) {
    return " (did you mean \"" + std::string(nearest->name) + "\", with require \"" +
           std::string(extension_name(*nearest->extension)) + "\"?)";
  }
  return " (did you mean \"" + std::string(nearest->name) + "\"?)";
}

}  // namespace letterbox::sieve
