#include "letterbox/config/config.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "letterbox/util/network.hpp"

namespace letterbox {
namespace {

// A value the codec rejects; the message says what was expected. The loader adds file, line and key.
struct BadValue {
  std::string reason;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> words;
  std::string word;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
      if (!word.empty()) words.push_back(std::exchange(word, {}));
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::uint64_t parse_number(std::string_view digits, std::string_view expected) {
  std::uint64_t value = 0;
  const auto* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || ec != std::errc{} || ptr != end) throw BadValue{std::string(expected)};
  return value;
}

// ---- codecs: parse text into a value (or throw BadValue) and print a value back as text ----

struct SizeCodec {
  std::uint64_t parse(std::string_view v) const {
    try {
      return parse_size(v);
    } catch (const std::invalid_argument& e) {
      throw BadValue{e.what()};
    }
  }
  std::string print(std::uint64_t v) const {
    constexpr std::array<std::pair<std::uint64_t, char>, 3> units{
        {{1ULL << 30, 'G'}, {1ULL << 20, 'M'}, {1ULL << 10, 'K'}}};
    for (auto [factor, unit] : units) {
      if (v != 0 && v % factor == 0) return std::to_string(v / factor) + unit;
    }
    return std::to_string(v);
  }
};

struct DurationCodec {
  Duration min{0};
  Duration parse(std::string_view v) const {
    Duration d;
    try {
      d = parse_duration(v);
    } catch (const std::invalid_argument& e) {
      throw BadValue{e.what()};
    }
    if (d < min) throw BadValue{"expected at least " + print(min)};
    return d;
  }
  std::string print(Duration d) const {
    const auto ms = d.count();
    if (ms != 0 && ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
    if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
  }
};

struct UnsignedCodec {
  unsigned min = 0;
  unsigned max = std::numeric_limits<unsigned>::max();
  unsigned parse(std::string_view v) const {
    const std::string expected = "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max);
    const auto n = parse_number(v, expected);
    if (n < min || n > max) throw BadValue{expected};
    return static_cast<unsigned>(n);
  }
  std::string print(unsigned v) const { return std::to_string(v); }
};

struct ModeCodec {
  unsigned parse(std::string_view v) const {
    unsigned mode = 0;
    const auto* end = v.data() + v.size();
    auto [ptr, ec] = std::from_chars(v.data(), end, mode, 8);
    if (v.empty() || ec != std::errc{} || ptr != end || mode > 07777) {
      throw BadValue{"expected an octal file mode such as 0660"};
    }
    return mode;
  }
  std::string print(unsigned v) const {
    std::ostringstream out;
    out << '0' << std::oct << v;
    return out.str();
  }
};

struct BoolCodec {
  bool parse(std::string_view v) const {
    if (v == "yes" || v == "true" || v == "on" || v == "1") return true;
    if (v == "no" || v == "false" || v == "off" || v == "0") return false;
    throw BadValue{"expected yes or no"};
  }
  std::string print(bool v) const { return v ? "yes" : "no"; }
};

// A string with an optional check; `check` returns an empty string when the value is acceptable.
struct StringCodec {
  std::function<std::string(std::string_view)> check;
  std::string parse(std::string_view v) const {
    if (check) {
      if (auto why = check(v); !why.empty()) throw BadValue{why};
    }
    return std::string(v);
  }
  std::string print(const std::string& v) const { return v; }
};

struct ListCodec {
  std::function<std::string(std::string_view)> check_item;
  bool allow_empty = true;
  std::vector<std::string> parse(std::string_view v) const {
    auto words = split_words(v);
    if (words.empty() && !allow_empty) throw BadValue{"expected at least one value"};
    for (const auto& w : words) {
      if (check_item) {
        if (auto why = check_item(w); !why.empty()) throw BadValue{"'" + w + "': " + why};
      }
    }
    return words;
  }
  std::string print(const std::vector<std::string>& v) const { return join(v); }
};

template <class E>
struct EnumCodec {
  std::vector<std::pair<std::string_view, E>> names;
  E parse(std::string_view v) const {
    for (const auto& [name, value] : names) {
      if (v == name) return value;
    }
    throw BadValue{"expected one of: " + choices()};
  }
  std::string print(E v) const {
    for (const auto& [name, value] : names) {
      if (value == v) return std::string(name);
    }
    return "?";
  }
  std::string choices() const {
    std::string out;
    for (const auto& [name, value] : names) {
      if (!out.empty()) out += ", ";
      out += name;
    }
    return out;
  }
};

// A non-empty list of distinct enum values.
template <class E>
struct EnumListCodec {
  EnumCodec<E> item;
  std::vector<E> parse(std::string_view v) const {
    std::vector<E> out;
    const auto words = split_words(v);
    if (words.empty()) throw BadValue{"expected at least one of: " + item.choices()};
    for (const auto& w : words) {
      E e;
      try {
        e = item.parse(w);
      } catch (const BadValue&) {
        throw BadValue{"'" + w + "': expected one of: " + item.choices()};
      }
      if (std::find(out.begin(), out.end(), e) != out.end()) throw BadValue{"'" + w + "' named twice"};
      out.push_back(e);
    }
    return out;
  }
  std::string print(const std::vector<E>& v) const {
    std::string out;
    for (E e : v) {
      if (!out.empty()) out += ' ';
      out += item.print(e);
    }
    return out;
  }
};

// ---- the declaration of every key ----

struct Key {
  std::string_view section;
  std::string_view name;
  std::string_view default_text;
  std::function<void(Settings&, std::string_view)> set;
  std::function<std::string(const Settings&)> get;
};

template <class Section, class T, class Codec>
Key key(std::string_view section, std::string_view name, std::string_view default_text, Section Settings::*part,
        T Section::*field, Codec codec) {
  return Key{section, name, default_text, [=](Settings& s, std::string_view v) { (s.*part).*field = codec.parse(v); },
             [=](const Settings& s) { return codec.print((s.*part).*field); }};
}

std::string check_absolute_path(std::string_view v) {
  return (!v.empty() && v.front() == '/') ? "" : "expected an absolute path";
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
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '%' && (i + 1 >= v.size() || std::string_view("sud%").find(v[i + 1]) == std::string_view::npos)) {
      return "unknown placeholder; use %s, %u, %d or %%";
    }
    if (v[i] == '%') ++i;
  }
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
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '%' && (i + 1 >= v.size() || std::string_view("uda%").find(v[i + 1]) == std::string_view::npos)) {
      return "unknown placeholder; use %u, %d, %a or %%";
    }
    if (v[i] == '%') ++i;
  }
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
               for (const auto& w : split_words(v)) {
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
               return words.empty() ? std::string("none") : join(words);
             }};
}

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

        key("stats", "listen", "", &S::stats, &StatsSettings::listen, StringCodec{check_stats_listen}),
        key("stats", "policy_listen", "", &S::stats, &StatsSettings::policy_listen, StringCodec{check_stats_listen}),

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

}  // namespace

std::uint64_t parse_size(std::string_view text) {
  text = trim(text);
  std::uint64_t factor = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K':
      case 'k': factor = 1ULL << 10; break;
      case 'M':
      case 'm': factor = 1ULL << 20; break;
      case 'G':
      case 'g': factor = 1ULL << 30; break;
      default: break;
    }
    if (factor != 1) text.remove_suffix(1);
  }
  try {
    const auto n = parse_number(text, "");
    if (n > std::numeric_limits<std::uint64_t>::max() / factor) throw BadValue{};
    return n * factor;
  } catch (const BadValue&) {
    throw std::invalid_argument("expected a size such as 4096, 512K, 64M or 2G");
  }
}

Duration parse_duration(std::string_view text) {
  text = trim(text);
  std::int64_t factor = 1000;  // a bare number is seconds, as in Postfix
  if (text.ends_with("ms")) {
    factor = 1;
    text.remove_suffix(2);
  } else if (!text.empty() && std::string_view("smhd").find(text.back()) != std::string_view::npos) {
    switch (text.back()) {
      case 's': factor = 1000; break;
      case 'm': factor = 60'000; break;
      case 'h': factor = 3'600'000; break;
      default: factor = 86'400'000; break;
    }
    text.remove_suffix(1);
  }
  try {
    const auto n = parse_number(text, "");
    if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / factor)) throw BadValue{};
    return Duration(static_cast<std::int64_t>(n) * factor);
  } catch (const BadValue&) {
    throw std::invalid_argument("expected a duration such as 500ms, 10s, 5m, 1h or 2d");
  }
}

Settings default_settings() {
  Settings s;
  for (const auto& k : keys()) k.set(s, k.default_text);
  return s;
}

Settings parse_config(std::string_view text, std::string_view origin) {
  Settings settings = default_settings();
  settings.origin.file = std::string(origin);
  std::string section;
  std::set<std::pair<std::string, std::string>> seen;
  std::size_t line_no = 0;
  const auto fail = [&](const std::string& what) {
    throw ConfigError(std::string(origin) + ":" + std::to_string(line_no) + ": " + what);
  };
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      if (line.back() != ']') fail("malformed section header '" + std::string(line) + "'");
      section = std::string(trim(line.substr(1, line.size() - 2)));
      if (!known_section(section)) fail("unknown section [" + section + "]");
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) fail("expected 'key = value', got '" + std::string(line) + "'");
    const std::string name(trim(line.substr(0, eq)));
    const std::string_view value = trim(line.substr(eq + 1));
    if (section.empty()) fail("key '" + name + "' appears before any [section]");
    const Key* k = find_key(section, name);
    if (k == nullptr) fail("unknown key '" + name + "' in [" + section + "]");
    if (!seen.emplace(section, name).second) fail("key '" + name + "' in [" + section + "] is set twice");
    settings.origin.lines[section + "." + name] = line_no;
    try {
      k->set(settings, value);
    } catch (const BadValue& bad) {
      fail("key '" + name + "' in [" + section + "]: bad value '" + std::string(value) + "': " + bad.reason);
    }
  }
  return settings;
}

Settings load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int err = errno;
    // A missing or forbidden file is the administrator's to fix; running out of descriptors or an I/O
    // error is not a bad configuration, and the LDA must not bounce mail (exit 78) over it.
    if (err == ENOENT || err == EACCES || err == EISDIR || err == ENOTDIR || err == ELOOP || err == 0) {
      throw ConfigError(file.string() + ": cannot read the configuration file: " + std::strerror(err));
    }
    throw std::system_error(err, std::generic_category(), file.string() + ": cannot read the configuration file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::system_error(EIO, std::generic_category(), file.string() + ": read error");
  return parse_config(text.str(), file.string());
}

std::string format_effective_config(const Settings& settings) {
  std::string out;
  std::string_view section;
  for (const auto& k : keys()) {
    if (k.section != section) {
      if (!section.empty()) out += '\n';
      section = k.section;
      out += "[" + std::string(section) + "]\n";
    }
    auto value = k.get(settings);
    if (k.section == "server" && k.name == "hostname" && value.empty()) value = effective_hostname(settings);
    out += std::string(k.name) + " = " + value + "\n";
  }
  return out;
}

std::string ConfigOrigin::describe(std::string_view section, std::string_view key) const {
  const std::string name = "key '" + std::string(key) + "' in [" + std::string(section) + "]";
  const auto line = lines.find(std::string(section) + "." + std::string(key));
  if (line == lines.end()) return file + ": " + name + " (not set: the default)";
  return file + ":" + std::to_string(line->second) + ": " + name;
}

std::string effective_hostname(const Settings& settings) {
  if (!settings.server.hostname.empty()) return settings.server.hostname;
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) return "localhost";
  return buf.data();
}

}  // namespace letterbox
