#include "config_keys.hpp"

#include <algorithm>
#include <cctype>

#include "config_codecs.hpp"
#include "letterbox/util/network.hpp"
#include "letterbox/util/placeholders.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox::config_keys {
namespace {

template <class Section, class T, class Codec>
Key key(std::string_view section, std::string_view name, std::string_view default_text, Section Settings::*part,
        T Section::*field, Codec codec) {
  return Key{section, name, default_text, [=](Settings& s, std::string_view v) { (s.*part).*field = codec.parse(v); },
             [=](const Settings& s) { return codec.print((s.*part).*field); }};
}

std::string check_absolute_path(std::string_view v) {
  return (!v.empty() && v.front() == '/') ? "" : "expected an absolute path";
}
// A program and its arguments, split at blanks and run without a shell: the program's path must be
// absolute, as anywhere else a key names a file.
std::string check_command(std::string_view v) {
  const auto words = split_words(v, " \t");
  if (words.empty()) return "expected an absolute path";
  if (auto why = check_absolute_path(words.front()); !why.empty()) return why + " first, then any arguments";
  return "";
}
std::string check_optional_absolute_path(std::string_view v) {
  return v.empty() ? "" : check_absolute_path(v);
}

// user/group may be empty only to say "none configured" (the LDA then refuses to start as root).
std::string check_account_name(std::string_view v) {
  for (char c : v) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ':' || c == '/') return "expected a user or group name";
  }
  return "";
}

std::string check_listen(std::string_view v) {
  if (v.starts_with("unix:/")) return "";
  if (v.starts_with("inet:")) {
    const auto rest = v.substr(5);
    const auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && colon + 1 < rest.size()) {
      try {
        UnsignedCodec{1, 65535}.parse(rest.substr(colon + 1));
        return "";
      } catch (const BadValue&) {
      }
    }
    return "expected inet:HOST:PORT with a port from 1 to 65535";
  }
  return "expected unix:/ABSOLUTE/PATH or inet:HOST:PORT";
}

std::string check_stats_listen(std::string_view v) {
  if (v.empty()) return "";
  if (!v.starts_with("inet:")) return "expected inet:HOST:PORT (metrics are served over TCP) or nothing";
  return check_listen(v);
}

std::string check_ldap_uri(std::string_view v) {
  if (v.starts_with("ldap://") || v.starts_with("ldaps://") || v.starts_with("ldapi://")) return "";
  return "expected an ldap://, ldaps:// or ldapi:// URI";
}

std::string check_filter(std::string_view v) {
  if (v.empty() || v.front() != '(' || v.back() != ')') return "expected an LDAP filter in parentheses";
  if (!placeholders_known(v, "sud")) return "unknown placeholder; use %s, %u, %d or %%";
  int depth = 0;
  for (char c : v) {
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    if (depth < 0) return "unbalanced parentheses";
  }
  return depth == 0 ? "" : "unbalanced parentheses";
}

std::string check_template(std::string_view v) {
  if (v.empty()) return "expected a path template such as %d/%u/Maildir";
  if (v.front() == '/') return "must be relative to mail_root";
  if (!placeholders_known(v, "uda")) return "unknown placeholder; use %u, %d, %a or %%";
  std::string_view rest = v;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const auto part = rest.substr(0, slash);
    if (part == "..") return "'..' would leave mail_root";
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return "";
}

std::string check_log_target(std::string_view v) {
  if (v == "stderr" || v == "syslog" || (!v.empty() && v.front() == '/')) return "";
  return "expected stderr, syslog or an absolute file path";
}

std::string check_file_name(std::string_view v) {
  if (v.empty() || v == "." || v == ".." || v.find('/') != std::string_view::npos) {
    return "expected a plain file name";
  }
  return "";
}

std::string check_attribute(std::string_view v) {
  for (char c : v) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != ';' && c != '.') {
      return "expected an LDAP attribute name";
    }
  }
  return "";
}

std::string check_domain(std::string_view v) {
  for (char c : v) {
    if (!std::islower(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c)) && c != '.' &&
        c != '-' && c != '_') {
      return "expected a lower-case domain name";
    }
  }
  return "";
}

std::string check_network(std::string_view v) {
  return parse_network(v) ? "" : "expected an address or a network such as 192.0.2.0/24 or 2001:db8::/32";
}

std::string check_lower_case(std::string_view v) {
  for (char c : v) {
    if (std::isupper(static_cast<unsigned char>(c))) return "expected lower case";
  }
  return "";
}

// add_headers maps three words onto three flags.
Key add_headers_key() {
  return Key{"delivery", "add_headers", "return-path delivered-to received",
             [](Settings& s, std::string_view v) {
               auto& d = s.delivery;
               d.add_return_path = d.add_delivered_to = d.add_received = false;
               for (const auto& w : split_words(v, kSeparators)) {
                 if (w == "return-path")
                   d.add_return_path = true;
                 else if (w == "delivered-to")
                   d.add_delivered_to = true;
                 else if (w == "received")
                   d.add_received = true;
                 else if (w != "none")
                   throw BadValue{"'" + w + "': expected return-path, delivered-to, received or none"};
               }
             },
             [](const Settings& s) {
               std::vector<std::string> words;
               if (s.delivery.add_return_path) words.emplace_back("return-path");
               if (s.delivery.add_delivered_to) words.emplace_back("delivered-to");
               if (s.delivery.add_received) words.emplace_back("received");
               return words.empty() ? std::string("none") : join_words(words);
             }};
}

}  // namespace

const std::vector<Key>& keys() {
  using S = Settings;
  static const std::vector<Key> kKeys = [] {
    const EnumCodec<MailboxFormat> format{{{"maildir", MailboxFormat::Maildir}, {"mbox", MailboxFormat::Mbox}}};
    const EnumCodec<LdapScope> scope{{{"sub", LdapScope::Sub}, {"one", LdapScope::One}, {"base", LdapScope::Base}}};
    const EnumCodec<QuotaFullReply> quota_reply{
        {{"450", QuotaFullReply::Retry450}, {"452", QuotaFullReply::Retry452}, {"552", QuotaFullReply::Bounce552}}};
    const EnumCodec<FromQuoting> quoting{{{"mboxrd", FromQuoting::Mboxrd}, {"mboxo", FromQuoting::Mboxo}}};
    const EnumListCodec<LockKind> locks{
        {{{"dotlock", LockKind::Dotlock}, {"fcntl", LockKind::Fcntl}, {"flock", LockKind::Flock}}}};
    const EnumCodec<LogLevel> level{{{"trace", LogLevel::Trace},
                                     {"debug", LogLevel::Debug},
                                     {"info", LogLevel::Info},
                                     {"warn", LogLevel::Warn},
                                     {"error", LogLevel::Error},
                                     {"critical", LogLevel::Critical},
                                     {"off", LogLevel::Off}}};
    const StringCodec any{};
    const DurationCodec duration{};
    const SizeCodec size{};
    const BoolCodec yes_no{};
    return std::vector<Key>{
        key("server", "listen", "unix:/run/letterbox/lmtp.sock inet:127.0.0.1:24", &S::server, &ServerSettings::listen,
            ListCodec{check_listen, false}),
        key("server", "socket_mode", "0660", &S::server, &ServerSettings::socket_mode, ModeCodec{}),
        key("server", "user", "vmail", &S::server, &ServerSettings::user, StringCodec{check_account_name}),
        key("server", "group", "vmail", &S::server, &ServerSettings::group, StringCodec{check_account_name}),
        key("server", "hostname", "", &S::server, &ServerSettings::hostname, any),
        key("server", "max_sessions", "200", &S::server, &ServerSettings::max_sessions, UnsignedCodec{1, 100000}),
        key("server", "max_recipients", "1000", &S::server, &ServerSettings::max_recipients, UnsignedCodec{1, 100000}),
        key("server", "max_message_size", "64M", &S::server, &ServerSettings::max_message_size, size),
        key("server", "idle_timeout", "5m", &S::server, &ServerSettings::idle_timeout, duration),
        // 0 would leave a message no time beyond idle_timeout, whatever its size: refused, not a way to say "off".
        key("server", "min_data_rate", "500", &S::server, &ServerSettings::min_data_rate,
            UnsignedCodec{1, 1'000'000'000}),
        key("server", "data_deadline", "5m", &S::server, &ServerSettings::data_deadline, duration),
        key("server", "allow_from", "127.0.0.0/8 ::1", &S::server, &ServerSettings::allow_from,
            ListCodec{check_network}),
        key("server", "proxy", "no", &S::server, &ServerSettings::proxy, yes_no),
        key("server", "proxy_port", "24", &S::server, &ServerSettings::proxy_port, UnsignedCodec{1, 65535}),
        key("server", "proxy_timeout", "30s", &S::server, &ServerSettings::proxy_timeout,
            DurationCodec{std::chrono::seconds(1)}),
        key("server", "tls_cert_file", "", &S::server, &ServerSettings::tls_cert_file,
            StringCodec{check_optional_absolute_path}),
        key("server", "tls_key_file", "", &S::server, &ServerSettings::tls_key_file,
            StringCodec{check_optional_absolute_path}),
        key("server", "tls_required", "no", &S::server, &ServerSettings::tls_required, yes_no),

        key("ldap", "uri", "ldap://127.0.0.1:389", &S::ldap, &LdapSettings::uri, ListCodec{check_ldap_uri, false}),
        key("ldap", "bind_dn", "", &S::ldap, &LdapSettings::bind_dn, any),
        key("ldap", "bind_password_file", "", &S::ldap, &LdapSettings::bind_password_file,
            StringCodec{check_optional_absolute_path}),
        key("ldap", "base", "", &S::ldap, &LdapSettings::base, any),
        key("ldap", "scope", "sub", &S::ldap, &LdapSettings::scope, scope),
        key("ldap", "filter", "(&(objectClass=inetOrgPerson)(mail=%s))", &S::ldap, &LdapSettings::filter,
            StringCodec{check_filter}),
        key("ldap", "starttls", "no", &S::ldap, &LdapSettings::starttls, yes_no),
        key("ldap", "tls_ca_file", "", &S::ldap, &LdapSettings::tls_ca_file, StringCodec{check_optional_absolute_path}),
        key("ldap", "network_timeout", "3s", &S::ldap, &LdapSettings::network_timeout, duration),
        key("ldap", "timeout", "5s", &S::ldap, &LdapSettings::timeout, duration),
        key("ldap", "pool_size", "4", &S::ldap, &LdapSettings::pool_size, UnsignedCodec{1, 256}),
        key("ldap", "cache_ttl", "60s", &S::ldap, &LdapSettings::cache_ttl, duration),
        key("ldap", "negative_cache_ttl", "10s", &S::ldap, &LdapSettings::negative_cache_ttl, duration),
        key("ldap", "stale_ttl", "1h", &S::ldap, &LdapSettings::stale_ttl, duration),
        key("ldap", "cache_file", "", &S::ldap, &LdapSettings::cache_file, StringCodec{check_optional_absolute_path}),
        key("ldap", "cache_entries", "100000", &S::ldap, &LdapSettings::cache_entries, UnsignedCodec{8, 10'000'000}),
        key("ldap", "mailbox_attribute", "", &S::ldap, &LdapSettings::mailbox_attribute, StringCodec{check_attribute}),
        key("ldap", "format_attribute", "", &S::ldap, &LdapSettings::format_attribute, StringCodec{check_attribute}),
        key("ldap", "quota_attribute", "", &S::ldap, &LdapSettings::quota_attribute, StringCodec{check_attribute}),
        key("ldap", "status_attribute", "", &S::ldap, &LdapSettings::status_attribute, StringCodec{check_attribute}),
        key("ldap", "status_disabled", "disabled", &S::ldap, &LdapSettings::status_disabled, ListCodec{}),
        key("ldap", "status_pending", "pending migrating", &S::ldap, &LdapSettings::status_pending, ListCodec{}),
        key("ldap", "host_attribute", "", &S::ldap, &LdapSettings::host_attribute, StringCodec{check_attribute}),

        key("delivery", "mail_root", "/var/mail/vhosts", &S::delivery, &DeliverySettings::mail_root,
            StringCodec{check_absolute_path}),
        key("delivery", "mailbox_template", "%d/%u/Maildir", &S::delivery, &DeliverySettings::mailbox_template,
            StringCodec{check_template}),
        key("delivery", "default_format", "maildir", &S::delivery, &DeliverySettings::default_format, format),
        key("delivery", "recipient_delimiter", "+", &S::delivery, &DeliverySettings::recipient_delimiter, any),
        key("delivery", "subaddress_folders", "yes", &S::delivery, &DeliverySettings::subaddress_folders, yes_no),
        key("delivery", "fsync", "yes", &S::delivery, &DeliverySettings::fsync, yes_no),
        key("delivery", "quota", "0", &S::delivery, &DeliverySettings::quota, size),
        key("delivery", "quota_full_reply", "450", &S::delivery, &DeliverySettings::quota_full_reply, quota_reply),
        key("delivery", "lock_timeout", "10s", &S::delivery, &DeliverySettings::lock_timeout, duration),
        key("delivery", "max_lock_waiters", "10", &S::delivery, &DeliverySettings::max_lock_waiters,
            UnsignedCodec{1, 10000}),
        add_headers_key(),

        key("mbox", "locks", "dotlock fcntl", &S::mbox, &MboxSettings::locks, locks),
        key("mbox", "stale_dotlock_age", "5m", &S::mbox, &MboxSettings::stale_dotlock_age, duration),
        key("mbox", "from_quoting", "mboxrd", &S::mbox, &MboxSettings::from_quoting, quoting),

        key("maildir", "lock_file", "letterbox.lock", &S::maildir, &MaildirSettings::lock_file,
            StringCodec{check_file_name}),
        key("maildir", "quota_file", "maildirsize", &S::maildir, &MaildirSettings::quota_file,
            StringCodec{check_file_name}),

        key("policy", "listen", "unix:/run/letterbox/policy.sock", &S::policy, &PolicySettings::listen,
            ListCodec{check_listen, false}),
        key("policy", "socket_mode", "0666", &S::policy, &PolicySettings::socket_mode, ModeCodec{}),
        key("policy", "max_sessions", "500", &S::policy, &PolicySettings::max_sessions, UnsignedCodec{1, 100000}),
        key("policy", "domains", "", &S::policy, &PolicySettings::domains, ListCodec{check_domain}),
        key("policy", "check_recipient", "yes", &S::policy, &PolicySettings::check_recipient, yes_no),
        key("policy", "check_quota", "yes", &S::policy, &PolicySettings::check_quota, yes_no),
        key("policy", "greylist", "no", &S::policy, &PolicySettings::greylist, yes_no),
        key("policy", "greylist_delay", "5m", &S::policy, &PolicySettings::greylist_delay, duration),
        key("policy", "greylist_retry_window", "2d", &S::policy, &PolicySettings::greylist_retry_window, duration),
        key("policy", "greylist_expire", "35d", &S::policy, &PolicySettings::greylist_expire, duration),
        key("policy", "greylist_auto_allow", "5", &S::policy, &PolicySettings::greylist_auto_allow,
            UnsignedCodec{0, 1000000}),
        key("policy", "greylist_network_v4", "24", &S::policy, &PolicySettings::greylist_network_v4,
            UnsignedCodec{8, 32}),
        key("policy", "greylist_network_v6", "64", &S::policy, &PolicySettings::greylist_network_v6,
            UnsignedCodec{16, 128}),
        key("policy", "greylist_allow_clients", "127.0.0.0/8 ::1", &S::policy, &PolicySettings::greylist_allow_clients,
            ListCodec{check_network}),
        key("policy", "greylist_allow_recipients", "postmaster abuse", &S::policy,
            &PolicySettings::greylist_allow_recipients, ListCodec{check_lower_case}),
        key("policy", "greylist_db", "/var/lib/letterbox/greylist.db", &S::policy, &PolicySettings::greylist_db,
            StringCodec{check_absolute_path}),
        key("policy", "greylist_max_entries", "1000000", &S::policy, &PolicySettings::greylist_max_entries,
            UnsignedCodec{64, 100'000'000}),

        key("sieve", "enabled", "no", &S::sieve, &SieveSettings::enabled, yes_no),
        key("sieve", "user_dir", "%d/%u/sieve", &S::sieve, &SieveSettings::user_dir, StringCodec{check_template}),
        key("sieve", "before", "", &S::sieve, &SieveSettings::before, ListCodec{check_absolute_path}),
        key("sieve", "after", "", &S::sieve, &SieveSettings::after, ListCodec{check_absolute_path}),
        key("sieve", "global_dir", "", &S::sieve, &SieveSettings::global_dir,
            StringCodec{check_optional_absolute_path}),
        key("sieve", "mbox_folders", "%d/%u/mail", &S::sieve, &SieveSettings::mbox_folders,
            StringCodec{check_template}),
        // A smaller ceiling would refuse the vacation script of an ordinary user; 0 would refuse every script.
        key("sieve", "max_script_size", "1M", &S::sieve, &SieveSettings::max_script_size, SizeCodec{1 << 10}),
        key("sieve", "max_actions", "32", &S::sieve, &SieveSettings::max_actions, UnsignedCodec{1, 1000}),
        key("sieve", "max_redirects", "4", &S::sieve, &SieveSettings::max_redirects, UnsignedCodec{0, 100}),
        key("sieve", "max_cpu_time", "2s", &S::sieve, &SieveSettings::max_cpu_time,
            DurationCodec{std::chrono::milliseconds(100)}),
        key("sieve", "vacation_min_period", "1d", &S::sieve, &SieveSettings::vacation_min_period, duration),
        key("sieve", "vacation_default_period", "7d", &S::sieve, &SieveSettings::vacation_default_period, duration),
        key("sieve", "vacation_max_period", "60d", &S::sieve, &SieveSettings::vacation_max_period, duration),
        key("sieve", "vacation_send_from_recipient", "no", &S::sieve, &SieveSettings::vacation_send_from_recipient,
            yes_no),
        key("sieve", "redirect_duplicate_period", "12h", &S::sieve, &SieveSettings::redirect_duplicate_period,
            duration),
        key("sieve", "sendmail", "/usr/sbin/sendmail", &S::sieve, &SieveSettings::sendmail, StringCodec{check_command}),

        key("managesieve", "listen", "inet:127.0.0.1:4190", &S::managesieve, &ManageSieveSettings::listen,
            ListCodec{check_listen, false}),
        key("managesieve", "max_sessions", "200", &S::managesieve, &ManageSieveSettings::max_sessions,
            UnsignedCodec{1, 100000}),
        key("managesieve", "allow_plaintext_auth", "no", &S::managesieve, &ManageSieveSettings::allow_plaintext_auth,
            yes_no),
        key("managesieve", "max_scripts", "20", &S::managesieve, &ManageSieveSettings::max_scripts,
            UnsignedCodec{1, 10000}),
        key("managesieve", "max_storage", "1M", &S::managesieve, &ManageSieveSettings::max_storage, size),
        key("managesieve", "max_auth_failures", "3", &S::managesieve, &ManageSieveSettings::max_auth_failures,
            UnsignedCodec{1, 100}),
        key("managesieve", "auth_failure_delay", "2s", &S::managesieve, &ManageSieveSettings::auth_failure_delay,
            duration),

        key("stats", "listen", "", &S::stats, &StatsSettings::listen, StringCodec{check_stats_listen}),
        key("stats", "policy_listen", "", &S::stats, &StatsSettings::policy_listen, StringCodec{check_stats_listen}),
        key("stats", "managesieve_listen", "", &S::stats, &StatsSettings::managesieve_listen,
            StringCodec{check_stats_listen}),

        key("log", "level", "info", &S::log, &LogSettings::level, level),
        key("log", "target", "stderr", &S::log, &LogSettings::target, StringCodec{check_log_target}),
    };
  }();
  return kKeys;
}

const Key* find_key(std::string_view section, std::string_view name) {
  for (const auto& k : keys()) {
    if (k.section == section && k.name == name) return &k;
  }
  return nullptr;
}

bool known_section(std::string_view section) {
  return std::any_of(keys().begin(), keys().end(), [&](const Key& k) { return k.section == section; });
}

}  // namespace letterbox::config_keys
