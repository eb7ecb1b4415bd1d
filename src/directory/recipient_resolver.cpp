#include "letterbox/directory/recipient_resolver.hpp"

#include <algorithm>
#include <cctype>

#include "letterbox/util/log.hpp"
#include "letterbox/util/placeholders.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox {
namespace {

bool listed(const std::vector<std::string>& values, std::string_view value) {
  return std::any_of(values.begin(), values.end(), [&](const std::string& v) { return iequals_ascii(v, value); });
}

const std::string* attribute(const Lookup& lookup, const std::string& name) {
  if (name.empty()) return nullptr;
  auto it = lookup.entry.attributes.find(ascii_lower(name));
  return it == lookup.entry.attributes.end() ? nullptr : &it->second;
}

// A host name or address to put in a reply (and later to connect to): nothing a reply line or a log
// could be tricked with.
bool valid_host(std::string_view v) {
  return !v.empty() && v.size() <= 255 && std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '_';
  });
}

bool safe_path_value(std::string_view v) {
  return !v.empty() && v.front() != '.' && v.find('/') == std::string_view::npos;
}

}  // namespace

std::string expand_mailbox_template(std::string_view mailbox_template, const Address& address) {
  const auto value = [&address](char letter) -> std::optional<std::string> {
    std::string part;
    switch (letter) {
      case 'u': part = address.local; break;
      case 'd': part = address.domain; break;
      case 'a': part = address.lookup_key(); break;
      default: return std::nullopt;
    }
    if (!safe_path_value(part)) return std::nullopt;
    return part;
  };
  return expand_placeholders(mailbox_template, value).value_or(std::string());
}

MailboxFormat infer_format(std::string_view mailbox, MailboxFormat fallback) {
  if (mailbox.ends_with('/') || mailbox.ends_with("/Maildir") || mailbox == "Maildir") return MailboxFormat::Maildir;
  return fallback;
}

std::variant<Recipient, Outcome> resolve_recipient(const Settings& settings, const Address& address,
                                                   std::string_view shown, const Lookup& lookup) {
  switch (lookup.kind) {
    case LookupKind::Unknown: return make_outcome(Status::UserUnknown, lookup.detail);
    case LookupKind::Unavailable: return make_outcome(Status::DirectoryUnavailable, lookup.detail);
    case LookupKind::Ambiguous: return make_outcome(Status::LocalError, lookup.detail);
    case LookupKind::Found: break;
  }
  const auto& ldap = settings.ldap;
  const auto& delivery = settings.delivery;
  if (const auto* status = attribute(lookup, ldap.status_attribute)) {
    if (listed(ldap.status_disabled, *status)) {
      return make_outcome(Status::MailboxDisabled, "status " + *status + " (" + lookup.entry.dn + ")");
    }
    if (listed(ldap.status_pending, *status)) {
      return make_outcome(Status::MailboxPending, "status " + *status + " (" + lookup.entry.dn + ")");
    }
  }

  if (const auto* host = attribute(lookup, ldap.host_attribute); host != nullptr && !host->empty()) {
    if (!valid_host(*host)) {
      // The directory's value is not trusted into a reply: defer until it is mended.
      return make_outcome(Status::LocalError, "unreadable " + ldap.host_attribute + " in " + lookup.entry.dn);
    }
    if (!iequals_ascii(*host, effective_hostname(settings))) {
      return mailbox_elsewhere(*host, "the directory puts the mailbox on " + *host + " (" + lookup.entry.dn + ")");
    }
  }

  Recipient recipient;
  recipient.address = std::string(shown);
  recipient.folder = address.subaddress;
  if (const auto* mailbox = attribute(lookup, ldap.mailbox_attribute); mailbox != nullptr && !mailbox->empty()) {
    recipient.mailbox = *mailbox;
  } else {
    recipient.mailbox = expand_mailbox_template(delivery.mailbox_template, address);
    if (recipient.mailbox.empty()) {
      return make_outcome(Status::LocalError, "the address <" + address.lookup_key() +
                                                  "> cannot name a mailbox path through mailbox_template");
    }
  }

  recipient.format = infer_format(recipient.mailbox, delivery.default_format);
  if (const auto* format = attribute(lookup, ldap.format_attribute); format != nullptr && !format->empty()) {
    if (iequals_ascii(*format, "maildir")) {
      recipient.format = MailboxFormat::Maildir;
    } else if (iequals_ascii(*format, "mbox")) {
      recipient.format = MailboxFormat::Mbox;
    } else {
      // Guessing could write an mbox into a Maildir: defer until the directory is fixed.
      return make_outcome(Status::LocalError, "unknown mailbox format '" + *format + "' (" + lookup.entry.dn + ")");
    }
  }

  if (settings.sieve.enabled) {
    // Expanded here, where addresses are understood; the store below only confines the paths.
    recipient.sieve_dir = expand_mailbox_template(settings.sieve.user_dir, address);
    recipient.mbox_folders = expand_mailbox_template(settings.sieve.mbox_folders, address);
  }

  recipient.quota = delivery.quota;
  if (const auto* quota = attribute(lookup, ldap.quota_attribute); quota != nullptr && !quota->empty()) {
    try {
      recipient.quota = parse_size(*quota);
    } catch (const std::invalid_argument&) {
      // A typo in one quota should not stop that user's mail: use the configured default, loudly.
      log::error("unreadable quota '{}' in {}; using [delivery] quota = {}", *quota, lookup.entry.dn, delivery.quota);
    }
  }
  return recipient;
}

}  // namespace letterbox
