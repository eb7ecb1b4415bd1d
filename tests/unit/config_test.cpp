#include "letterbox/config/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.hpp"

using namespace letterbox;
using namespace std::chrono_literals;

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "/etc/letterbox/letterbox.conf");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Config, DefaultsAreTheDocumentedOnes) {
  const auto s = default_settings();
  EXPECT_EQ(s.server.listen, (std::vector<std::string>{"unix:/run/letterbox/lmtp.sock", "inet:127.0.0.1:24"}));
  EXPECT_EQ(s.server.socket_mode, 0660U);
  EXPECT_EQ(s.server.max_message_size, 64ULL << 20);
  EXPECT_EQ(s.server.idle_timeout, 5min);
  EXPECT_EQ(s.server.min_data_rate, 500U);
  EXPECT_EQ(s.ldap.filter, "(&(objectClass=inetOrgPerson)(mail=%s))");
  EXPECT_EQ(s.ldap.network_timeout, 3s);
  EXPECT_EQ(s.ldap.status_pending, (std::vector<std::string>{"pending", "migrating"}));
  EXPECT_EQ(s.delivery.mail_root, "/var/mail/vhosts");
  EXPECT_EQ(s.delivery.default_format, MailboxFormat::Maildir);
  EXPECT_EQ(s.delivery.quota_full_reply, QuotaFullReply::Retry450);
  EXPECT_EQ(s.delivery.lock_timeout, 10s);
  EXPECT_TRUE(s.delivery.add_return_path && s.delivery.add_delivered_to && s.delivery.add_received);
  EXPECT_EQ(s.mbox.locks, (std::vector<LockKind>{LockKind::Dotlock, LockKind::Fcntl}));
  EXPECT_EQ(s.mbox.from_quoting, FromQuoting::Mboxrd);
  EXPECT_EQ(s.maildir.lock_file, "letterbox.lock");
  EXPECT_EQ(s.log.target, "stderr");
}

TEST(Config, ParsesTypedValues) {
  const auto s = parse_config(R"(# a comment
[server]
listen = unix:/tmp/l.sock   inet:127.0.0.1:2424
socket_mode = 0600
max_message_size = 10M
idle_timeout = 90s
[ldap]
uri = ldap://a:389 ldap://b:389
scope = one
pool_size = 8
cache_ttl = 500ms
[delivery]
quota = 2G
quota_full_reply = 552
fsync = no
add_headers = delivered-to
[mbox]
locks = flock dotlock
from_quoting = mboxo
stale_dotlock_age = 2h
[log]
level = debug
target = /var/log/letterbox.log
)",
                              "test.conf");
  EXPECT_EQ(s.server.listen.size(), 2U);
  EXPECT_EQ(s.server.socket_mode, 0600U);
  EXPECT_EQ(s.server.max_message_size, 10ULL << 20);
  EXPECT_EQ(s.server.idle_timeout, 90s);
  EXPECT_EQ(s.ldap.uri, (std::vector<std::string>{"ldap://a:389", "ldap://b:389"}));
  EXPECT_EQ(s.ldap.scope, LdapScope::One);
  EXPECT_EQ(s.ldap.pool_size, 8U);
  EXPECT_EQ(s.ldap.cache_ttl, 500ms);
  EXPECT_EQ(s.delivery.quota, 2ULL << 30);
  EXPECT_EQ(s.delivery.quota_full_reply, QuotaFullReply::Bounce552);
  EXPECT_FALSE(s.delivery.fsync);
  EXPECT_FALSE(s.delivery.add_return_path);
  EXPECT_TRUE(s.delivery.add_delivered_to);
  EXPECT_FALSE(s.delivery.add_received);
  EXPECT_EQ(s.mbox.locks, (std::vector<LockKind>{LockKind::Flock, LockKind::Dotlock}));
  EXPECT_EQ(s.mbox.from_quoting, FromQuoting::Mboxo);
  EXPECT_EQ(s.mbox.stale_dotlock_age, 2h);
  EXPECT_EQ(s.log.level, LogLevel::Debug);
  EXPECT_EQ(s.log.target, "/var/log/letterbox.log");
}

TEST(Config, UnknownSectionNamesFileAndLine) {
  EXPECT_EQ(error_of("[server]\nuser = mail\n\n[smtp]\n"), "/etc/letterbox/letterbox.conf:4: unknown section [smtp]");
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
  EXPECT_EQ(error_of("[delivery]\nmail_root = /srv/mail\nlock_timout = 5s\n"),
            "/etc/letterbox/letterbox.conf:3: unknown key 'lock_timout' in [delivery]");
}

TEST(Config, BadValueNamesFileLineKeyAndWhatWasExpected) {
  EXPECT_EQ(error_of("[delivery]\nlock_timeout = soon\n"),
            "/etc/letterbox/letterbox.conf:2: key 'lock_timeout' in [delivery]: bad value 'soon': expected a duration "
            "such as 500ms, 10s, 5m, 1h or 2d");
  EXPECT_EQ(error_of("[server]\nmax_message_size = 12X\n"),
            "/etc/letterbox/letterbox.conf:2: key 'max_message_size' in [server]: bad value '12X': expected a size "
            "such as 4096, 512K, 64M or 2G");
  EXPECT_EQ(error_of("[delivery]\nquota_full_reply = 550\n"),
            "/etc/letterbox/letterbox.conf:2: key 'quota_full_reply' in [delivery]: bad value '550': expected one "
            "of: 450, 452, 552");
  EXPECT_EQ(error_of("[mbox]\nlocks = dotlock lockf\n"),
            "/etc/letterbox/letterbox.conf:2: key 'locks' in [mbox]: bad value 'dotlock lockf': 'lockf': expected "
            "one of: dotlock, fcntl, flock");
  EXPECT_EQ(error_of("[server]\nmax_sessions = 0\n"),
            "/etc/letterbox/letterbox.conf:2: key 'max_sessions' in [server]: bad value '0': expected a whole "
            "number from 1 to 100000");
  EXPECT_EQ(error_of("[delivery]\nfsync = maybe\n"),
            "/etc/letterbox/letterbox.conf:2: key 'fsync' in [delivery]: bad value 'maybe': expected yes or no");
  // A rate of 0 would give a message no time for its bytes.
  EXPECT_EQ(error_of("[server]\nmin_data_rate = 0\n"),
            "/etc/letterbox/letterbox.conf:2: key 'min_data_rate' in [server]: bad value '0': expected a whole "
            "number from 1 to 1000000000");
  // No wait at all would make a relay give up before any host could answer.
  EXPECT_EQ(error_of("[server]\nproxy_timeout = 0\n"),
            "/etc/letterbox/letterbox.conf:2: key 'proxy_timeout' in [server]: bad value '0': expected at least 1s");
  EXPECT_EQ(error_of("[ldap]\nhost_attribute = mail host\n"),
            "/etc/letterbox/letterbox.conf:2: key 'host_attribute' in [ldap]: bad value 'mail host': expected an "
            "LDAP attribute name");
}

TEST(Config, RefusesUnsafeOrMalformedValues) {
  EXPECT_NE(error_of("[delivery]\nmail_root = var/mail\n").find("expected an absolute path"), std::string::npos);
  EXPECT_NE(error_of("[delivery]\nmailbox_template = %d/../%u\n").find("'..' would leave mail_root"),
            std::string::npos);
  EXPECT_NE(error_of("[delivery]\nmailbox_template = /abs/%u\n").find("must be relative"), std::string::npos);
  EXPECT_NE(error_of("[delivery]\nmailbox_template = %d/%x\n").find("unknown placeholder"), std::string::npos);
  EXPECT_NE(error_of("[ldap]\nfilter = (&(mail=%s)\n").find("unbalanced"), std::string::npos);
  EXPECT_NE(error_of("[server]\nlisten = tcp:1.2.3.4:24\n").find("expected unix:"), std::string::npos);
  EXPECT_NE(error_of("[server]\nlisten = inet:127.0.0.1:99999\n").find("port from 1 to 65535"), std::string::npos);
  EXPECT_NE(error_of("[maildir]\nlock_file = ../x\n").find("plain file name"), std::string::npos);
  EXPECT_NE(error_of("[server]\nsocket_mode = 0999\n").find("octal"), std::string::npos);
  EXPECT_NE(error_of("[mbox]\nlocks = \n").find("expected at least one"), std::string::npos);
  EXPECT_NE(error_of("[mbox]\nlocks = fcntl fcntl\n").find("named twice"), std::string::npos);
}

TEST(Config, StructuralErrorsNameTheLine) {
  EXPECT_EQ(error_of("user = vmail\n"), "/etc/letterbox/letterbox.conf:1: key 'user' appears before any [section]");
  EXPECT_EQ(error_of("[server]\nuser vmail\n"),
            "/etc/letterbox/letterbox.conf:2: expected 'key = value', got 'user vmail'");
  EXPECT_EQ(error_of("[server\n"), "/etc/letterbox/letterbox.conf:1: malformed section header '[server'");
  EXPECT_EQ(error_of("[server]\nuser = a\n[server]\nuser = b\n"),
            "/etc/letterbox/letterbox.conf:4: key 'user' in [server] is set twice");
}

TEST(Config, MissingFileIsNamed) {
  try {
    load_config("/nonexistent/letterbox.conf");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/letterbox.conf: cannot read the configuration file: No such file or directory");
  }
}

TEST(Config, TlsKeys) {
  const auto defaults = default_settings();
  EXPECT_EQ(defaults.server.tls_cert_file, "");
  EXPECT_EQ(defaults.server.tls_key_file, "");
  EXPECT_FALSE(defaults.server.tls_required);
  const auto s = parse_config(
      "[server]\ntls_cert_file = /etc/ssl/lmtp.pem\ntls_key_file = /etc/ssl/private/lmtp.key\ntls_required = yes\n",
      "x");
  EXPECT_EQ(s.server.tls_cert_file, "/etc/ssl/lmtp.pem");
  EXPECT_EQ(s.server.tls_key_file, "/etc/ssl/private/lmtp.key");
  EXPECT_TRUE(s.server.tls_required);
  EXPECT_EQ(error_of("[server]\ntls_key_file = lmtp.key\n"),
            "/etc/letterbox/letterbox.conf:2: key 'tls_key_file' in [server]: bad value 'lmtp.key': expected an "
            "absolute path");
  EXPECT_NE(error_of("[server]\ntls_required = sometimes\n").find("expected yes or no"), std::string::npos);
}

TEST(Config, SizesAndDurations) {
  EXPECT_EQ(parse_size("4096"), 4096U);
  EXPECT_EQ(parse_size("512K"), 512U * 1024);
  EXPECT_EQ(parse_size("3G"), 3ULL << 30);
  EXPECT_THROW(parse_size(""), std::invalid_argument);
  EXPECT_THROW(parse_size("-1"), std::invalid_argument);
  EXPECT_THROW(parse_size("99999999999999999999"), std::invalid_argument);
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("10"), 10s);
  EXPECT_EQ(parse_duration("3m"), 3min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("2d"), 48h);  // letterbox.conf(5): durations also take d ([policy] greylist_expire = 35d)
  EXPECT_THROW(parse_duration("1w"), std::invalid_argument);
  EXPECT_THROW(parse_duration("m"), std::invalid_argument);
}

TEST(Config, PolicyKeys) {
  const auto s = parse_config(
      "[policy]\ndomains = example.org example.net\ngreylist = yes\ngreylist_expire = 35d\n"
      "greylist_allow_clients = 10.0.0.0/8 2001:db8::/32 192.0.2.1\n",
      "f");
  EXPECT_EQ(s.policy.domains, (std::vector<std::string>{"example.org", "example.net"}));
  EXPECT_TRUE(s.policy.greylist);
  EXPECT_EQ(s.policy.greylist_expire, 24h * 35);
  EXPECT_EQ(s.policy.greylist_delay, 5min);
  EXPECT_EQ(s.policy.listen, std::vector<std::string>{"unix:/run/letterbox/policy.sock"});
  EXPECT_EQ(error_of("[policy]\ngreylist_allow_clients = 10.0.0.0/8 10.0.0.0/40\n"),
            "/etc/letterbox/letterbox.conf:2: key 'greylist_allow_clients' in [policy]: bad value "
            "'10.0.0.0/8 10.0.0.0/40': '10.0.0.0/40': expected an address or a network such as 192.0.2.0/24 or "
            "2001:db8::/32");
  EXPECT_EQ(error_of("[policy]\ndomains = Example.org\n"),
            "/etc/letterbox/letterbox.conf:2: key 'domains' in [policy]: bad value 'Example.org': 'Example.org': "
            "expected a lower-case domain name");
  EXPECT_EQ(error_of("[policy]\ngreylist_network_v4 = 33\n"),
            "/etc/letterbox/letterbox.conf:2: key 'greylist_network_v4' in [policy]: bad value '33': expected a "
            "whole number from 8 to 32");
}

TEST(Config, EffectiveConfigurationParsesBackToItself) {
  auto s = parse_config("[delivery]\nquota = 1536K\nlock_timeout = 1500ms\n[server]\nhostname = mx.example\n", "x");
  const auto printed = format_effective_config(s);
  EXPECT_NE(printed.find("quota = 1536K\n"), std::string::npos);
  EXPECT_NE(printed.find("lock_timeout = 1500ms\n"), std::string::npos);
  EXPECT_EQ(format_effective_config(parse_config(printed, "printed")), printed);
}

TEST(Config, SampleFileDocumentsEveryKeyAtItsDefault) {
  const auto sample = std::filesystem::path(LETTERBOX_SOURCE_DIR) / "etc" / "letterbox.conf";
  const auto text = letterbox::test::read_file(sample);
  // Every key appears in the sample, commented out with its default value.
  const auto defaults = format_effective_config(default_settings());
  std::string uncommented;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.rfind("#: ", 0) == 0) line = line.substr(3);  // "#: key = default" lines document a default
    uncommented += line + "\n";
  }
  const auto sample_settings = parse_config(uncommented, sample.string());
  auto expected = default_settings();
  expected.server.hostname = sample_settings.server.hostname;  // the sample leaves it to the system
  // The one key the sample sets (an empty base fails --check-config): to the documentation's example.
  EXPECT_EQ(sample_settings.ldap.base, "dc=example,dc=org");
  EXPECT_NE(text.find("\nbase = dc=example,dc=org\n"), std::string::npos);
  expected.ldap.base = sample_settings.ldap.base;
  EXPECT_EQ(format_effective_config(sample_settings), format_effective_config(expected));
  std::size_t line_start = 0;
  while (line_start < defaults.size()) {
    const auto nl = defaults.find('\n', line_start);
    const auto line = defaults.substr(line_start, nl - line_start);
    line_start = nl + 1;
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    const auto key = line.substr(0, eq);
    if (key == "base") continue;  // set, not commented (above)
    EXPECT_NE(text.find("#: " + key + " ="), std::string::npos) << "the sample does not document " << key;
  }
  // And the sample as shipped (with its comments) loads.
  EXPECT_NO_THROW(load_config(sample));
}

TEST(ConfigOrigin, NamesTheFileAndLineOfEachKey) {
  const auto s = parse_config("# comment\n[ldap]\nbase = dc=example,dc=org\n\n[delivery]\nfsync = no\n", "/etc/x.conf");
  EXPECT_EQ(s.origin.describe("ldap", "base"), "/etc/x.conf:3: key 'base' in [ldap]");
  EXPECT_EQ(s.origin.describe("delivery", "fsync"), "/etc/x.conf:6: key 'fsync' in [delivery]");
  EXPECT_EQ(s.origin.describe("delivery", "mail_root"),
            "/etc/x.conf: key 'mail_root' in [delivery] (not set: the default)");
}

TEST(Config, SieveKeysDefaults) {
  const auto s = default_settings().sieve;
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.user_dir, "%d/%u/sieve");
  EXPECT_EQ(s.before, std::vector<std::string>{});
  EXPECT_EQ(s.after, std::vector<std::string>{});
  EXPECT_EQ(s.mbox_folders, "%d/%u/mail");
  EXPECT_EQ(s.max_script_size, 1ULL << 20);
  EXPECT_EQ(s.max_actions, 32U);
  EXPECT_EQ(s.max_redirects, 4U);
  EXPECT_EQ(s.max_cpu_time, 2s);
  EXPECT_EQ(s.vacation_min_period, 24h);
  EXPECT_EQ(s.vacation_default_period, 24h * 7);
  EXPECT_EQ(s.vacation_max_period, 24h * 60);
  EXPECT_FALSE(s.vacation_send_from_recipient);
  EXPECT_EQ(s.redirect_duplicate_period, 12h);
  EXPECT_EQ(s.sendmail, "/usr/sbin/sendmail");
}

TEST(Config, SieveKeysTakeGoodValues) {
  const auto s = parse_config(R"([sieve]
enabled = yes
user_dir = %d/%u/.sieve.d
before = /etc/letterbox/sieve/spam.sieve /etc/letterbox/sieve/lists.sieve
after = /etc/letterbox/sieve/last.sieve
mbox_folders = mboxes/%a
max_script_size = 64K
max_actions = 100
max_redirects = 0
max_cpu_time = 500ms
vacation_min_period = 0
vacation_default_period = 3d
vacation_max_period = 30d
vacation_send_from_recipient = yes
redirect_duplicate_period = 1d
sendmail = /usr/lib/sendmail -C /etc/postfix-out
)",
                              "f");
  EXPECT_TRUE(s.sieve.enabled);
  EXPECT_EQ(s.sieve.user_dir, "%d/%u/.sieve.d");
  EXPECT_EQ(s.sieve.before,
            (std::vector<std::string>{"/etc/letterbox/sieve/spam.sieve", "/etc/letterbox/sieve/lists.sieve"}));
  EXPECT_EQ(s.sieve.after, std::vector<std::string>{"/etc/letterbox/sieve/last.sieve"});
  EXPECT_EQ(s.sieve.mbox_folders, "mboxes/%a");
  EXPECT_EQ(s.sieve.max_script_size, 64U << 10);
  EXPECT_EQ(s.sieve.max_actions, 100U);
  EXPECT_EQ(s.sieve.max_redirects, 0U);
  EXPECT_EQ(s.sieve.max_cpu_time, 500ms);
  EXPECT_EQ(s.sieve.vacation_min_period, 0s);
  EXPECT_EQ(s.sieve.vacation_default_period, 72h);
  EXPECT_EQ(s.sieve.vacation_max_period, 24h * 30);
  EXPECT_TRUE(s.sieve.vacation_send_from_recipient);
  EXPECT_EQ(s.sieve.redirect_duplicate_period, 24h);
  EXPECT_EQ(s.sieve.sendmail, "/usr/lib/sendmail -C /etc/postfix-out");
  EXPECT_EQ(format_effective_config(parse_config(format_effective_config(s), "printed")), format_effective_config(s));
}

TEST(Config, SieveKeysRefuseBadValues) {
  const std::string at = "/etc/letterbox/letterbox.conf:2: key ";
  EXPECT_EQ(error_of("[sieve]\nenabled = perhaps\n"),
            at + "'enabled' in [sieve]: bad value 'perhaps': expected yes or no");
  EXPECT_EQ(error_of("[sieve]\nuser_dir = /var/sieve/%u\n"),
            at + "'user_dir' in [sieve]: bad value '/var/sieve/%u': must be relative to mail_root");
  EXPECT_EQ(error_of("[sieve]\nuser_dir = %d/../%u\n"),
            at + "'user_dir' in [sieve]: bad value '%d/../%u': '..' would leave mail_root");
  EXPECT_EQ(error_of("[sieve]\nuser_dir = %d/%n\n"),
            at + "'user_dir' in [sieve]: bad value '%d/%n': unknown placeholder; use %u, %d, %a or %%");
  EXPECT_EQ(error_of("[sieve]\nbefore = /etc/a.sieve spam.sieve\n"),
            at + "'before' in [sieve]: bad value '/etc/a.sieve spam.sieve': 'spam.sieve': expected an absolute path");
  EXPECT_EQ(error_of("[sieve]\nafter = last.sieve\n"),
            at + "'after' in [sieve]: bad value 'last.sieve': 'last.sieve': expected an absolute path");
  EXPECT_EQ(error_of("[sieve]\nmbox_folders = ../mail\n"),
            at + "'mbox_folders' in [sieve]: bad value '../mail': '..' would leave mail_root");
  EXPECT_EQ(error_of("[sieve]\nmax_script_size = 512\n"),
            at + "'max_script_size' in [sieve]: bad value '512': expected at least 1K");
  EXPECT_EQ(error_of("[sieve]\nmax_script_size = big\n"),
            at + "'max_script_size' in [sieve]: bad value 'big': expected a size such as 4096, 512K, 64M or 2G");
  EXPECT_EQ(error_of("[sieve]\nmax_actions = 0\n"),
            at + "'max_actions' in [sieve]: bad value '0': expected a whole number from 1 to 1000");
  EXPECT_EQ(error_of("[sieve]\nmax_redirects = 101\n"),
            at + "'max_redirects' in [sieve]: bad value '101': expected a whole number from 0 to 100");
  EXPECT_EQ(error_of("[sieve]\nmax_cpu_time = 10ms\n"),
            at + "'max_cpu_time' in [sieve]: bad value '10ms': expected at least 100ms");
  for (const char* key :
       {"vacation_min_period", "vacation_default_period", "vacation_max_period", "redirect_duplicate_period"}) {
    EXPECT_EQ(error_of(std::string("[sieve]\n") + key + " = 1w\n"),
              at + "'" + key + "' in [sieve]: bad value '1w': expected a duration such as 500ms, 10s, 5m, 1h or 2d");
  }
  EXPECT_EQ(error_of("[sieve]\nvacation_send_from_recipient = sometimes\n"),
            at + "'vacation_send_from_recipient' in [sieve]: bad value 'sometimes': expected yes or no");
  EXPECT_EQ(error_of("[sieve]\nsendmail = sendmail\n"),
            at + "'sendmail' in [sieve]: bad value 'sendmail': expected an absolute path first, then any arguments");
  EXPECT_EQ(error_of("[sieve]\nsendmail = -C /etc/postfix /usr/sbin/sendmail\n"),
            at + "'sendmail' in [sieve]: bad value '-C /etc/postfix /usr/sbin/sendmail': expected an absolute path " +
                "first, then any arguments");
}
