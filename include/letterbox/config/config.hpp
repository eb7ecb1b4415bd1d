// Settings: the typed form of letterbox.conf (letterbox.conf(5)). Every key is declared once
// (config.cpp, kKeys) with its type and default; that declaration parses, validates, supplies the default
// and prints the effective value. An unknown section or key, a duplicate key, or a bad value throws
// ConfigError naming the file, the line and the key: a mail system must not start on a misread file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "letterbox/mail/outcome.hpp"

namespace letterbox {

using Duration = std::chrono::milliseconds;

enum class MailboxFormat { Maildir, Mbox };
enum class LdapScope { Sub, One, Base };
enum class FromQuoting { Mboxrd, Mboxo };
enum class LockKind { Dotlock, Fcntl, Flock };
enum class LogLevel { Trace, Debug, Info, Warn, Error, Critical, Off };

struct ServerSettings {
  std::vector<std::string> listen{};
  unsigned socket_mode{};
  std::string user{};
  std::string group{};
  std::string hostname;  // empty: the system's host name
  unsigned max_sessions{};
  unsigned max_recipients{};
  std::uint64_t max_message_size{};
  Duration idle_timeout{};
  unsigned min_data_rate{};  // bytes per second a DATA or BDAT transfer earns time for, beyond idle_timeout
  Duration data_deadline{};
  std::vector<std::string> allow_from{};  // CIDR networks whose TCP clients may deliver (network.hpp)
  bool proxy{};                           // relay a mailbox on another host there (letterbox.conf(5))
  unsigned proxy_port{};
  Duration proxy_timeout{};
  std::string tls_cert_file;  // PEM chain; empty: no STARTTLS
  std::string tls_key_file;
  bool tls_required{};  // a TCP client must STARTTLS before MAIL
};

struct LdapSettings {
  std::vector<std::string> uri{};
  std::string bind_dn;
  std::string bind_password_file;
  std::string base;
  LdapScope scope{};
  std::string filter{};
  bool starttls{};
  std::string tls_ca_file;
  Duration network_timeout{};
  Duration timeout{};
  unsigned pool_size{};
  Duration cache_ttl{};
  Duration negative_cache_ttl{};
  Duration stale_ttl{};
  std::string cache_file;  // empty: each process caches in its own memory
  unsigned cache_entries{};
  std::string mailbox_attribute;
  std::string format_attribute;
  std::string quota_attribute;
  std::string status_attribute;
  std::vector<std::string> status_disabled{};
  std::vector<std::string> status_pending{};
  std::string host_attribute;  // empty: every mailbox is on this host
};

struct DeliverySettings {
  std::string mail_root{};
  std::string mailbox_template{};
  MailboxFormat default_format{};
  std::string recipient_delimiter{};
  bool subaddress_folders{};
  bool fsync{};
  std::uint64_t quota{};  // bytes; 0 = no quota
  QuotaFullReply quota_full_reply{};
  Duration lock_timeout{};
  unsigned max_lock_waiters{};
  bool add_return_path{};
  bool add_delivered_to{};
  bool add_received{};
};

struct MboxSettings {
  std::vector<LockKind> locks{};
  Duration stale_dotlock_age{};
  FromQuoting from_quoting{};
};

struct MaildirSettings {
  std::string lock_file{};
  std::string quota_file{};
};

// letterbox-policyd (letterbox-policyd(8)): the answers Postfix's smtpd gets at RCPT time.
struct PolicySettings {
  std::vector<std::string> listen{};
  unsigned socket_mode{};
  unsigned max_sessions{};
  std::vector<std::string> domains{};  // lower-cased; empty: every recipient domain
  bool check_recipient{};
  bool check_quota{};
  bool greylist{};
  Duration greylist_delay{};
  Duration greylist_retry_window{};
  Duration greylist_expire{};
  unsigned greylist_auto_allow{};  // 0: never
  unsigned greylist_network_v4{};
  unsigned greylist_network_v6{};
  std::vector<std::string> greylist_allow_clients{};     // CIDR networks (network.hpp)
  std::vector<std::string> greylist_allow_recipients{};  // local parts or whole addresses, lower-cased
  std::string greylist_db{};
  unsigned greylist_max_entries{};
};

// Sieve filtering (letterbox.conf(5) "[sieve]"): the user's script and the administrator's around it, and
// the limits every run is held to.
struct SieveSettings {
  bool enabled{};
  std::string user_dir{};             // template relative to mail_root, as mailbox_template
  std::vector<std::string> before{};  // administrator's scripts, absolute paths, run before the user's
  std::vector<std::string> after{};   // ... and after it
  std::string global_dir{};           // absolute; where `include :global "NAME"` finds NAME.sieve; "": none
  std::string mbox_folders{};         // template relative to mail_root: an mbox user's fileinto folders
  std::uint64_t max_script_size{};
  unsigned max_actions{};
  unsigned max_redirects{};  // 0: redirect refused
  Duration max_cpu_time{};
  Duration vacation_min_period{};  // a script's :days / :seconds is clamped to [min, max]
  Duration vacation_default_period{};
  Duration vacation_max_period{};
  bool vacation_send_from_recipient{};  // envelope sender of a vacation reply: the recipient, not <>
  Duration redirect_duplicate_period{};
  std::string sendmail{};  // vacation, redirect and notifications go to the MTA through it
};

// ManageSieve (letterbox.conf(5) "[managesieve]", letterbox-managesieved(8)): where users edit their
// scripts from webmail and mail clients, and the limits on them. The TLS key pair is [server]'s.
struct ManageSieveSettings {
  std::vector<std::string> listen{};
  unsigned max_sessions{};
  bool allow_plaintext_auth{};  // AUTHENTICATE before STARTTLS from a peer that is not loopback
  unsigned max_scripts{};
  std::uint64_t max_storage{};   // octets of scripts per user
  unsigned max_auth_failures{};  // in one connection, then it is closed
  Duration auth_failure_delay{};
};

// Prometheus metrics (METRICS in letterbox-lmtpd(8) and letterbox-policyd(8)): where each daemon serves GET /metrics;
// empty: off. One key per daemon, because they read one file and one address cannot serve two processes.
struct StatsSettings {
  std::string listen{};              // letterbox-lmtpd's, inet:HOST:PORT
  std::string policy_listen{};       // letterbox-policyd's
  std::string managesieve_listen{};  // letterbox-managesieved's
};

struct LogSettings {
  LogLevel level{};
  std::string target{};  // stderr | syslog | an absolute file path
};

// Where the settings came from, so that a later check (config_check.hpp) can name the file and line of
// the key it objects to. A key the file does not set has no line.
struct ConfigOrigin {
  std::string file;
  std::map<std::string, std::size_t, std::less<>> lines;  // "section.key" -> line number

  // "FILE:LINE: key 'name' in [section]", or "FILE: key 'name' in [section] (not set: the default)".
  [[nodiscard]] std::string describe(std::string_view section, std::string_view key) const;
};

// Defaults come from config.cpp's key table: use default_settings(), not Settings{}.
struct Settings {
  ServerSettings server;
  LdapSettings ldap;
  DeliverySettings delivery;
  MboxSettings mbox;
  MaildirSettings maildir;
  PolicySettings policy;
  SieveSettings sieve;
  ManageSieveSettings managesieve;
  StatsSettings stats;
  LogSettings log;
  ConfigOrigin origin;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every key at its documented default.
Settings default_settings();

// Reads and validates a configuration file. Keys the file omits keep their defaults.
Settings load_config(const std::filesystem::path& file);

// Parses configuration text; `origin` names it in errors (normally the file's path).
Settings parse_config(std::string_view text, std::string_view origin);

// The effective configuration, every key, in the file's own syntax (for --check-config).
std::string format_effective_config(const Settings& settings);

// Parsers shared with other modules and tests: "64M" -> 67108864, "5m" -> 300000 ms, "2d" -> 172800000 ms.
std::uint64_t parse_size(std::string_view text);
Duration parse_duration(std::string_view text);

// The host name Letterbox uses: [server] hostname, or the system's.
std::string effective_hostname(const Settings& settings);

}  // namespace letterbox
