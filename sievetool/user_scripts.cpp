#include "user_scripts.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <variant>

#include "letterbox/config/privileges.hpp"
#include "letterbox/directory/address.hpp"
#include "letterbox/directory/ldap_directory.hpp"
#include "letterbox/directory/recipient_resolver.hpp"
#include "letterbox/observe/logging.hpp"
#include "letterbox/sieve/diagnostic.hpp"
#include "letterbox/store/sieve_script_store.hpp"
#include "letterbox/util/file_io.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {
namespace {

constexpr const char* kProgram = "letterbox-sieve: ";

// RFC 5804's quoted string, as LISTSCRIPTS shows a name: a name may hold spaces and quotes.
std::string as_quoted_string(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The script to put, read as the invoking user (the file is theirs, not the delivery user's). One byte
// over the limit is enough to know it is too large; the store words that refusal.
int read_input(const std::optional<std::string>& file, std::uint64_t limit, std::string& text) {
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (file) {
    owned = UniqueFd(::open(file->c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC));
    if (!owned) return errno;
    fd = owned.get();
  }
  const int err = read_all(fd, limit + 1, text);
  if (err == EFBIG) text.resize(limit + 1);
  return err == EFBIG ? 0 : err;
}

// Scripts are 0600: written by anyone but the delivery user, delivery could not read them. Root has
// become that user by now; anyone else must be that user already. "" when we are, else why not.
std::string not_the_delivery_user(const ServerSettings& server) {
  const passwd* pw = server.user.empty() ? nullptr : ::getpwnam(server.user.c_str());
  if (pw != nullptr && pw->pw_uid == ::geteuid()) return "";
  const std::string who = server.user.empty() ? "[server] user is empty" : "[server] user is '" + server.user + "'";
  return "refusing to change the scripts as uid " + std::to_string(::geteuid()) + ": " + who +
         ", and delivery could not read them; run as root or as that user";
}

int report(const ScriptResult& result, const std::string& source) {
  if (result.ok()) return EX_OK;
  if (result.status == ScriptStatus::DoesNotCompile) {
    for (const auto& d : result.errors) std::cerr << sieve::format_diagnostic(source, d) << "\n";
    return 1;
  }
  std::cerr << kProgram << result.detail << "\n";
  return result.status == ScriptStatus::Failed ? EX_IOERR : 1;
}

// The user's store, or the exit status after saying why there is none.
std::variant<SieveScriptStore, int> user_store(const Settings& settings, const std::string& user) {
  std::string why;
  const auto address = parse_address(user, settings.delivery.recipient_delimiter, why);
  if (!address) {
    std::cerr << kProgram << "bad address '" << user << "': " << why << "\n";
    return EX_USAGE;
  }
  // The directory itself, not a cache: an administrator who just created or disabled a user means now.
  LdapDirectory ldap(settings.ldap);
  const auto resolved = resolve_recipient(settings, *address, user, ldap.lookup(*address));
  if (const auto* refused = std::get_if<Outcome>(&resolved)) {
    std::cerr << kProgram << stderr_line(*refused, user) << "\n";
    return exit_code(*refused);
  }
  const auto user_dir = expand_mailbox_template(settings.sieve.user_dir, *address);
  if (user_dir.empty()) {
    std::cerr << kProgram << "the address <" << address->lookup_key() << "> cannot name a directory through user_dir\n";
    return EX_DATAERR;
  }
  auto store = SieveScriptStore::open(settings.delivery.mail_root, user_dir, settings.sieve, why);
  if (!store) {
    std::cerr << kProgram << why << "\n";
    return EX_DATAERR;
  }
  return std::move(*store);
}

}  // namespace

int run_script_command(const Settings& settings, const ScriptCommand& command) {
  std::string text;
  const std::string source = command.input_file.value_or("<stdin>");
  if (command.verb == ScriptVerb::Put) {
    if (const int err = read_input(command.input_file, settings.sieve.max_script_size, text); err != 0) {
      std::cerr << kProgram << source << ": " << std::strerror(err) << "\n";
      return EX_NOINPUT;
    }
  }
  try {
    drop_privileges(settings.server);
  } catch (const ConfigError& e) {
    std::cerr << kProgram << e.what() << "\n";
    return EX_CONFIG;
  }
  LogSettings log = settings.log;
  log.target = "stderr";  // an administrator at a terminal reads what the directory said
  setup_logging(log, "letterbox-sieve");

  if (command.verb != ScriptVerb::List && command.verb != ScriptVerb::Get) {
    if (auto why = not_the_delivery_user(settings.server); !why.empty()) {
      std::cerr << kProgram << why << "\n";
      return EX_NOPERM;
    }
  }
  auto found = user_store(settings, command.user);
  if (const int* status = std::get_if<int>(&found)) return *status;
  auto& store = std::get<SieveScriptStore>(found);
  const auto& names = command.names;
  switch (command.verb) {
    case ScriptVerb::List: {
      std::vector<ScriptEntry> scripts;
      const auto result = store.list(scripts);
      for (const auto& s : scripts) std::cout << as_quoted_string(s.name) << (s.active ? " ACTIVE" : "") << "\n";
      return report(result, source);
    }
    case ScriptVerb::Get: {
      const auto result = store.get(names.at(0), text);
      std::cout << text;
      return report(result, source);
    }
    case ScriptVerb::Put: return report(store.put(names.at(0), text), source);
    case ScriptVerb::Activate: return report(store.activate(names.at(0)), source);
    case ScriptVerb::Deactivate: return report(store.deactivate(), source);
    case ScriptVerb::Delete: return report(store.remove(names.at(0)), source);
    case ScriptVerb::Rename: return report(store.rename(names.at(0), names.at(1)), source);
  }
  return EX_SOFTWARE;
}

}  // namespace letterbox
