#include "lda_command.hpp"

#include <fcntl.h>
#include <sysexits.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <system_error>

#include "letterbox/config/config.hpp"
#include "letterbox/config/privileges.hpp"
#include "letterbox/directory/address.hpp"
#include "letterbox/directory/cached_directory.hpp"
#include "letterbox/directory/ldap_directory.hpp"
#include "letterbox/directory/recipient_resolver.hpp"
#include "letterbox/directory/shared_cache.hpp"
#include "letterbox/observe/delivery_log.hpp"
#include "letterbox/observe/logging.hpp"
#include "letterbox/store/deliverer.hpp"
#include "letterbox/store/mail_path.hpp"
#include "letterbox/util/process_identity.hpp"
#include "letterbox/util/unique_fd.hpp"
#include "message_input.hpp"

namespace letterbox {
namespace {

int fail(const Outcome& outcome, std::string_view recipient) {
  std::cerr << stderr_line(outcome, recipient) << "\n";
  return exit_code(outcome);
}

// Who reads what letterbox-lda logs: the delivery log, or the administrator at a terminal (--lookup).
enum class LogTo { DeliveryLog, Terminal };

// Loads the configuration, leaves root and sets up logging, in that order: a log file is only ever
// created by the delivery user, so an administrator's command run as root cannot leave behind a log
// file that every later delivery fails to open. nullopt (with the message printed and `exit_status`
// set) on failure: 78 only for a configuration that is wrong, 75 for anything that may pass (a
// descriptor shortage, the name service down).
std::optional<Settings> start(const std::string& config_file, LogTo log_to, int& exit_status) {
  try {
    Settings settings = load_config(config_file);
    drop_privileges(settings.server);
    LogSettings log = settings.log;
    if (log_to == LogTo::Terminal) {
      log.target = "stderr";
    } else if (log.target == "stderr") {
      // Our stderr is the MTA's: Postfix reads the enhanced status code from the start of it. Log lines
      // there would push it aside, so "stderr" means syslog for a delivery.
      log.target = "syslog";
    }
    setup_logging(log, "letterbox-lda");
    return settings;
  } catch (const ConfigError& e) {
    std::cerr << "4.3.5 letterbox-lda: " << e.what() << "\n";
    exit_status = EX_CONFIG;
  } catch (const std::exception& e) {
    std::cerr << "4.3.0 letterbox-lda: " << e.what() << "\n";
    exit_status = EX_TEMPFAIL;
  }
  return std::nullopt;
}

std::string strip_brackets(std::string s) {
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') return s.substr(1, s.size() - 2);
  return s;
}

std::string format_size(std::uint64_t bytes) {
  if (bytes == 0) return "none";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

int run_delivery(const LdaRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  int status = EX_OK;
  auto settings = start(request.config_file, LogTo::DeliveryLog, status);
  if (!settings) return status;

  std::string why;
  std::string shown = request.recipient;
  if (request.recipient_is_user && shown.find('@') == std::string::npos) shown += "@" + effective_hostname(*settings);
  const auto address = parse_address(shown, settings->delivery.recipient_delimiter, why);
  if (!address) {
    std::cerr << "5.1.3 <" << shown << "> Bad recipient address syntax: " << why << "\n";
    return EX_USAGE;
  }

  UniqueFd input_file;
  int input = STDIN_FILENO;
  if (request.input_file) {
    input_file = UniqueFd(::open(request.input_file->c_str(), O_RDONLY | O_CLOEXEC));
    if (!input_file) {
      const int err = errno;
      // A file that is not there is a usage mistake; any other failure to open it may pass.
      const bool missing = err == ENOENT || err == ENOTDIR;
      std::cerr << (missing ? "5.3.0" : "4.3.0") << " letterbox-lda: cannot read " << *request.input_file << ": "
                << std::strerror(err) << "\n";
      return missing ? EX_NOINPUT : EX_TEMPFAIL;
    }
    input = input_file.get();
  }

  // The message is spooled before the directory is asked: a pipe must be drained either way.
  Spool spool;
  MessageInput message(spool);
  try {
    std::array<char, 64 * 1024> buffer{};
    for (;;) {
      const ssize_t n = ::read(input, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::system_error(errno, std::generic_category(), "reading the message");
      if (n == 0) break;
      message.feed({buffer.data(), static_cast<std::size_t>(n)});
      if (spool.size() > settings->server.max_message_size) {
        return fail(make_outcome(Status::MessageTooBig, "over max_message_size"), shown);
      }
    }
    message.finish();
  } catch (const std::system_error& e) {
    return fail(outcome_from_errno(e.code().value(), e.what()), shown);
  }
  if (spool.size() > settings->server.max_message_size) {
    return fail(make_outcome(Status::MessageTooBig, "over max_message_size"), shown);
  }

  Envelope envelope;
  if (request.sender) {
    envelope.sender = strip_brackets(*request.sender);
  } else if (message.from_line_sender()) {
    envelope.sender = *message.from_line_sender();
  } else if (const char* env = std::getenv("SENDER")) {
    envelope.sender = env;
  }
  envelope.id = "lda-" + std::to_string(process_id());

  LdapDirectory ldap(settings->ldap);
  CachedDirectory directory(ldap, settings->ldap, make_cache_store(settings->ldap));
  const auto resolved = resolve_recipient(*settings, *address, shown, directory.lookup(*address));
  Outcome outcome;
  std::string mailbox;
  if (const auto* refused = std::get_if<Outcome>(&resolved)) {
    outcome = *refused;
  } else {
    Recipient recipient = std::get<Recipient>(resolved);
    if (request.folder) recipient.folder = *request.folder;
    mailbox = recipient.mailbox;
    MailboxQueue queue(settings->delivery.max_lock_waiters);
    Deliverer deliverer(*settings, queue);
    outcome = deliverer.deliver(spool, envelope, recipient);
  }
  log_delivery(DeliveryRecord{envelope.id, envelope.sender, shown, mailbox, spool.size(), outcome,
                              std::chrono::steady_clock::now() - started});
  directory.store().count_lda_delivery(outcome);
  if (outcome.delivered()) return EX_OK;
  return fail(outcome, shown);
}

int run_lookup(const std::string& config_file, const std::string& address_text) {
  int status = EX_OK;
  auto settings = start(config_file, LogTo::Terminal, status);
  if (!settings) return status;
  std::string why;
  const auto address = parse_address(address_text, settings->delivery.recipient_delimiter, why);
  if (!address) {
    std::cout << "address:  " << address_text << "\nresult:   invalid (" << why << ")\n";
    return EX_USAGE;
  }
  LdapDirectory ldap(settings->ldap);
  CachedDirectory directory(ldap, settings->ldap, make_cache_store(settings->ldap));
  const auto lookup = directory.lookup(*address);
  std::cout << "address:  " << address_text << "\n";
  std::cout << "lookup:   " << address->lookup_key() << "\n";
  std::cout << "result:   " << lookup_kind_name(lookup.kind) << "\n";
  // The shared cache named only when it was used: a refused one (the reason was logged above) is not.
  const auto shared = directory.store().shared_file();
  std::cout << "source:   " << lookup_source_name(lookup.source)
            << (!shared.empty() ? " (shared cache " + shared + ")"
                : settings->ldap.cache_file.empty()
                    ? ""
                    : " (this process's memory: the shared cache " + settings->ldap.cache_file + " was not used)")
            << "\n";
  if (lookup.kind != LookupKind::Found) std::cout << "detail:   " << lookup.detail << "\n";
  if (lookup.kind == LookupKind::Found) {
    std::cout << "dn:       " << lookup.entry.dn << "\n";
    for (const auto& [name, value] : lookup.entry.attributes)
      std::cout << "attr:     " << name << ": " << value << "\n";
  }
  const auto resolved = resolve_recipient(*settings, *address, address_text, lookup);
  if (const auto* recipient = std::get_if<Recipient>(&resolved)) {
    std::string confined_why;
    const auto path = confine_to_root(settings->delivery.mail_root, recipient->mailbox, confined_why);
    std::cout << "mailbox:  " << (path ? path->string() : recipient->mailbox + " (refused: " + confined_why + ")")
              << "\n";
    std::cout << "format:   " << (recipient->format == MailboxFormat::Mbox ? "mbox" : "maildir") << "\n";
    std::cout << "quota:    " << format_size(recipient->quota) << "\n";
    if (!recipient->folder.empty()) std::cout << "folder:   " << recipient->folder << "\n";
    std::cout << "status:   active\n";
    std::cout << "reply:    250 2.1.5 <" << address_text << "> OK\n";
    if (!path) return EX_TEMPFAIL;
    return EX_OK;
  }
  const auto& outcome = std::get<Outcome>(resolved);
  std::cout << "status:   " << status_name(outcome.status) << "\n";
  std::cout << "reply:    " << lmtp_reply(outcome, address_text) << "\n";
  return exit_code(outcome);
}

int run_forget(const std::string& config_file, const std::optional<std::string>& address_text) {
  int status = EX_OK;
  auto settings = start(config_file, LogTo::Terminal, status);
  if (!settings) return status;
  if (settings->ldap.cache_file.empty()) {
    std::cerr << "letterbox-lda: [ldap] cache_file is not set: each process caches in its own memory, and there is "
                 "no shared cache to forget\n";
    return EX_CONFIG;
  }
  std::string why;
  const auto cache = SharedCache::open(settings->ldap.cache_file, settings->ldap.cache_entries, why);
  if (!cache) {
    std::cerr << "letterbox-lda: not using the shared cache: " << why << "\n";
    return EX_TEMPFAIL;
  }
  try {
    if (!address_text) {
      std::cout << "forgot " << cache->forget_all() << " entries in " << cache->path().string() << "\n";
      return EX_OK;
    }
    const auto address = parse_address(*address_text, settings->delivery.recipient_delimiter, why);
    if (!address) {
      std::cerr << "letterbox-lda: " << *address_text << ": " << why << "\n";
      return EX_USAGE;
    }
    const bool forgot = cache->forget(address->lookup_key());
    std::cout << (forgot ? "forgot " : "not cached: ") << address->lookup_key() << "\n";
    return EX_OK;
  } catch (const std::exception& e) {
    std::cerr << "letterbox-lda: " << e.what() << "\n";
    return EX_TEMPFAIL;
  }
}

}  // namespace letterbox
