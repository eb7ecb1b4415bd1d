// LdapDirectory against a real slapd: classification, escaping, outages, failover, the stale cache.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "letterbox/directory/cached_directory.hpp"
#include "letterbox/directory/ldap_directory.hpp"
#include "letterbox/directory/recipient_resolver.hpp"
#include "slapd.hpp"

using namespace letterbox;
using namespace letterbox::test;
using namespace std::chrono_literals;

namespace {

Address address(const std::string& text) {
  std::string why;
  auto a = parse_address(text, "+", why);
  EXPECT_TRUE(a) << text << ": " << why;
  return a.value_or(Address{});
}

class LdapTest : public ::testing::Test {
 protected:
  Slapd slapd_;
};

template <class F>
std::chrono::milliseconds timed(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

TEST_F(LdapTest, FoundWithAttributes) {
  LdapDirectory directory(slapd_.settings());
  const auto l = directory.lookup(address("bob.builder@example.org"));
  ASSERT_EQ(l.kind, LookupKind::Found) << l.detail;
  EXPECT_EQ(l.entry.dn, "uid=bob,ou=people,dc=example,dc=org");
  EXPECT_EQ(l.entry.attributes.at("letterboxmailbox"), "example.org/bob.mbox");
  EXPECT_EQ(l.entry.attributes.at("letterboxformat"), "mbox");
  EXPECT_EQ(l.entry.attributes.at("letterboxquota"), "1048576");
}

TEST_F(LdapTest, UnknownAliasMixedCaseSubaddress) {
  LdapDirectory directory(slapd_.settings());
  EXPECT_EQ(directory.lookup(address("nosuchuser@example.org")).kind, LookupKind::Unknown);
  const auto alias = directory.lookup(address("ali@example.org"));
  ASSERT_EQ(alias.kind, LookupKind::Found) << alias.detail;
  EXPECT_EQ(alias.entry.dn, "uid=alice,ou=people,dc=example,dc=org");
  EXPECT_EQ(directory.lookup(address("BOB.Builder@EXAMPLE.org")).kind, LookupKind::Found);
  const auto sub = directory.lookup(address("Alice+Lists@Example.org"));
  ASSERT_EQ(sub.kind, LookupKind::Found);
  EXPECT_EQ(sub.entry.dn, "uid=alice,ou=people,dc=example,dc=org");
}

TEST_F(LdapTest, InjectionStringsNeverMatchAnotherEntry) {
  LdapDirectory directory(slapd_.settings());
  // Built by hand: parse_address() would refuse most of these before the directory ever saw them.
  const std::vector<std::string> locals{
      "*", "a*", "*)(uid=*", ")(", "\\", std::string("alice\0", 6), "alice)(mail=*", "*)(|(mail=*"};
  for (const auto& local : locals) {
    const Address a{local, "example.org", ""};
    const auto l = directory.lookup(a);
    EXPECT_EQ(l.kind, LookupKind::Unknown) << "local part '" << local << "': " << l.detail;
  }
  EXPECT_EQ(directory.lookup(Address{"alice", "*", ""}).kind, LookupKind::Unknown);
}

TEST_F(LdapTest, TwoEntriesAreAmbiguousNotUnknown) {
  LdapDirectory directory(slapd_.settings());
  const auto l = directory.lookup(address("twin@example.org"));
  EXPECT_EQ(l.kind, LookupKind::Ambiguous) << l.detail;
  const auto r = resolve_recipient(default_settings(), address("twin@example.org"), "twin@example.org", l);
  EXPECT_EQ(lmtp_reply(std::get<Outcome>(r), "twin@example.org"), "451 4.3.0 <twin@example.org> Local delivery error");
}

TEST_F(LdapTest, DisabledAndPendingThroughTheResolver) {
  auto settings = default_settings();
  settings.ldap = slapd_.settings();
  LdapDirectory directory(settings.ldap);
  const auto reply = [&](const std::string& rcpt) {
    const auto a = address(rcpt);
    const auto r = resolve_recipient(settings, a, rcpt, directory.lookup(a));
    return std::holds_alternative<Outcome>(r) ? lmtp_reply(std::get<Outcome>(r), rcpt) : std::get<Recipient>(r).mailbox;
  };
  EXPECT_EQ(reply("carol@example.org"), "550 5.2.1 <carol@example.org> Mailbox disabled");
  EXPECT_EQ(reply("dave@example.org"), "450 4.2.1 <dave@example.org> Mailbox temporarily unavailable");
  EXPECT_EQ(reply("nobody@example.org"), "550 5.1.1 <nobody@example.org> User unknown");
  EXPECT_EQ(reply("alice@example.org"), "example.org/alice/Maildir");
  EXPECT_EQ(reply("bob.builder@example.org"), "example.org/bob.mbox");
}

TEST_F(LdapTest, APasswordIsCheckedByABindAsTheEntryFound) {
  LdapDirectory directory(slapd_.settings());
  const auto alice = directory.lookup(address("alice@example.org"));
  ASSERT_EQ(alice.kind, LookupKind::Found) << alice.detail;
  std::string why;
  EXPECT_EQ(directory.check_password(alice.entry.dn, "alice-password", why), PasswordCheck::Accepted) << why;
  EXPECT_EQ(directory.check_password(alice.entry.dn, "Alice-password", why), PasswordCheck::Refused);
  EXPECT_NE(why.find("Invalid credentials (49)"), std::string::npos) << why;
  // An empty password would be an unauthenticated bind, which LDAP lets succeed: never sent.
  EXPECT_EQ(directory.check_password(alice.entry.dn, "", why), PasswordCheck::Refused);
  EXPECT_EQ(why, "an empty password");
  // An entry without a password (bob) takes none.
  EXPECT_EQ(directory.check_password("uid=bob,ou=people,dc=example,dc=org", "anything", why), PasswordCheck::Refused);
  // The pool's own bind is untouched: lookups go on as the service account.
  EXPECT_EQ(directory.lookup(address("bob.builder@example.org")).kind, LookupKind::Found);
}

TEST_F(LdapTest, APasswordCheckWithTheDirectoryDownIsUnavailableNeverRefused) {
  const auto settings = slapd_.settings();
  LdapDirectory directory(settings);
  slapd_.stop();
  std::string why;
  PasswordCheck check = PasswordCheck::Accepted;
  const auto took =
      timed([&] { check = directory.check_password("uid=alice,ou=people,dc=example,dc=org", "alice-password", why); });
  EXPECT_EQ(check, PasswordCheck::Unavailable) << why;
  EXPECT_LT(took, settings.network_timeout + settings.timeout + 500ms);
  slapd_.start();
  EXPECT_EQ(directory.check_password("uid=alice,ou=people,dc=example,dc=org", "alice-password", why),
            PasswordCheck::Accepted)
      << why;
}

TEST_F(LdapTest, StoppedServerIsUnavailableAndRecoversInTheSameProcess) {
  const auto settings = slapd_.settings();
  LdapDirectory directory(settings);
  ASSERT_EQ(directory.lookup(address("alice@example.org")).kind, LookupKind::Found);
  slapd_.stop();
  Lookup l;
  const auto took = timed([&] { l = directory.lookup(address("alice@example.org")); });
  EXPECT_EQ(l.kind, LookupKind::Unavailable) << l.detail;
  EXPECT_LT(took, settings.network_timeout + settings.timeout + 500ms);
  EXPECT_EQ(directory.lookup(address("nosuchuser@example.org")).kind, LookupKind::Unavailable)
      << "an outage must never look like an unknown user";
  slapd_.start();
  EXPECT_EQ(directory.lookup(address("alice@example.org")).kind, LookupKind::Found);
  EXPECT_EQ(directory.lookup(address("nosuchuser@example.org")).kind, LookupKind::Unknown);
}

TEST_F(LdapTest, RestartedServerNeedsNoRetryFromTheCaller) {
  LdapDirectory directory(slapd_.settings());
  ASSERT_EQ(directory.lookup(address("alice@example.org")).kind, LookupKind::Found);
  slapd_.stop();
  slapd_.start();
  // The pooled connection died with the old server; the lookup reconnects by itself.
  EXPECT_EQ(directory.lookup(address("alice@example.org")).kind, LookupKind::Found);
}

TEST_F(LdapTest, FrozenServerIsUnavailableWithinTheTimeouts) {
  const auto settings = slapd_.settings();
  LdapDirectory directory(settings);
  ASSERT_EQ(directory.lookup(address("alice@example.org")).kind, LookupKind::Found);
  slapd_.freeze();
  Lookup pooled;
  const auto took = timed([&] { pooled = directory.lookup(address("alice@example.org")); });
  EXPECT_EQ(pooled.kind, LookupKind::Unavailable) << pooled.detail;
  EXPECT_LT(took, settings.network_timeout + settings.timeout + 500ms);
  // A new connection to a frozen server: the TCP handshake succeeds, the bind never answers.
  LdapDirectory fresh(settings);
  Lookup l;
  const auto took_fresh = timed([&] { l = fresh.lookup(address("nosuchuser@example.org")); });
  EXPECT_EQ(l.kind, LookupKind::Unavailable) << l.detail;
  EXPECT_LT(took_fresh, settings.network_timeout + settings.timeout + 500ms);
  slapd_.thaw();
  EXPECT_EQ(directory.lookup(address("alice@example.org")).kind, LookupKind::Found);
}

TEST_F(LdapTest, WrongBindPasswordIsUnavailable) {
  auto settings = slapd_.settings();
  write_file(slapd_.dir() / "wrong-password", "not-the-password\n");
  settings.bind_password_file = (slapd_.dir() / "wrong-password").string();
  LdapDirectory directory(settings);
  const auto l = directory.lookup(address("nosuchuser@example.org"));
  EXPECT_EQ(l.kind, LookupKind::Unavailable);
  EXPECT_NE(l.detail.find("Invalid credentials"), std::string::npos) << l.detail;
}

TEST_F(LdapTest, AnonymousBindWorks) {
  auto settings = slapd_.settings();
  settings.bind_dn.clear();
  settings.bind_password_file.clear();
  LdapDirectory directory(settings);
  EXPECT_EQ(directory.lookup(address("alice@example.org")).kind, LookupKind::Found);
}

TEST_F(LdapTest, MissingBaseIsUnavailableNotUnknown) {
  auto settings = slapd_.settings();
  settings.base = "ou=nosuchou,dc=example,dc=org";
  LdapDirectory directory(settings);
  EXPECT_EQ(directory.lookup(address("alice@example.org")).kind, LookupKind::Unavailable);
}

TEST_F(LdapTest, FailsOverToTheSecondUri) {
  auto settings = slapd_.settings();
  settings.uri = {"ldap://127.0.0.1:" + std::to_string(free_port()), slapd_.uri()};
  LdapDirectory directory(settings);
  const auto l = directory.lookup(address("alice@example.org"));
  EXPECT_EQ(l.kind, LookupKind::Found) << l.detail;
}

TEST_F(LdapTest, StaleEntryServedDuringAnOutageNegativeNot) {
  auto settings = slapd_.settings();
  settings.cache_ttl = 1ms;  // every lookup goes to the server, which is down
  settings.negative_cache_ttl = 1ms;
  settings.stale_ttl = 1h;
  LdapDirectory ldap(settings);
  CachedDirectory directory(ldap, settings);
  ASSERT_EQ(directory.lookup(address("alice@example.org")).kind, LookupKind::Found);
  ASSERT_EQ(directory.lookup(address("nosuchuser@example.org")).kind, LookupKind::Unknown);
  slapd_.stop();
  std::this_thread::sleep_for(5ms);
  const auto stale = directory.lookup(address("alice@example.org"));
  EXPECT_EQ(stale.kind, LookupKind::Found);
  EXPECT_TRUE(stale.stale);
  EXPECT_EQ(directory.lookup(address("nosuchuser@example.org")).kind, LookupKind::Unavailable);
}

TEST_F(LdapTest, PoolIsSharedSafelyBetweenThreads) {
  auto settings = slapd_.settings();
  settings.pool_size = 3;
  LdapDirectory directory(settings);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const bool known = (i + t) % 2 == 0;
        const auto l = directory.lookup(address(known ? "alice@example.org" : "nosuchuser@example.org"));
        if (l.kind != (known ? LookupKind::Found : LookupKind::Unknown)) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

// [ldap] starttls against a slapd that refuses every operation on a connection without TLS.
class LdapStartTlsTest : public ::testing::Test {
 protected:
  LdapSettings tls_settings() const {
    auto s = slapd_.settings();
    s.starttls = true;
    s.tls_ca_file = slapd_.ca_file().string();
    return s;
  }
  Slapd slapd_{Slapd::Transport::RequireStartTls};
};

TEST_F(LdapStartTlsTest, LooksUpOverTlsWithTheServersCa) {
  LdapDirectory directory(tls_settings());
  const auto l = directory.lookup(address("alice@example.org"));
  ASSERT_EQ(l.kind, LookupKind::Found) << l.detail;
  EXPECT_EQ(l.entry.dn, "uid=alice,ou=people,dc=example,dc=org");
  EXPECT_EQ(directory.lookup(address("nosuchuser@example.org")).kind, LookupKind::Unknown);
}

TEST_F(LdapStartTlsTest, AnUntrustedCertificateIsUnavailableNeverUnknown) {
  TempDir other;
  make_test_ca(other.path(), "other", false);
  auto s = tls_settings();
  s.tls_ca_file = (other / "other.pem").string();
  LdapDirectory directory(s);
  const auto l = directory.lookup(address("alice@example.org"));
  EXPECT_EQ(l.kind, LookupKind::Unavailable);
  EXPECT_NE(l.detail.find("StartTLS"), std::string::npos) << l.detail;
  const auto unknown = directory.lookup(address("nosuchuser@example.org"));
  EXPECT_EQ(unknown.kind, LookupKind::Unavailable);  // we cannot know: never a bounce
}

TEST_F(LdapStartTlsTest, WithoutStartTlsAServerThatRequiresItIsUnavailable) {
  auto s = slapd_.settings();  // starttls = no
  LdapDirectory directory(s);
  const auto l = directory.lookup(address("nosuchuser@example.org"));
  EXPECT_EQ(l.kind, LookupKind::Unavailable) << l.detail;
  Settings settings = default_settings();
  settings.ldap = s;
  const auto resolved = resolve_recipient(settings, address("nosuchuser@example.org"), "nosuchuser@example.org", l);
  ASSERT_TRUE(std::holds_alternative<Outcome>(resolved));
  EXPECT_EQ(lmtp_reply(std::get<Outcome>(resolved), "nosuchuser@example.org"),
            "450 4.4.3 <nosuchuser@example.org> Directory unavailable, try again later");
}

// A referral object under the search base makes slapd answer with a continuation reference: the user
// may live on that other server, so "no entry here" is not "unknown" (a 550 would bounce real mail).
TEST_F(LdapTest, ASearchReferredElsewhereIsUnavailableNeverUnknown) {
  const std::string ldif =
      "dn: ou=elsewhere,dc=example,dc=org\nobjectClass: referral\nobjectClass: extensibleObject\nou: elsewhere\n"
      "ref: ldap://ldap.elsewhere.example/ou=elsewhere,dc=example,dc=org\n";
  const auto added =
      run({"ldapadd", "-x", "-M", "-H", slapd_.uri(), "-D", "cn=admin,dc=example,dc=org", "-w", "admin-secret"}, ldif);
  ASSERT_EQ(added.exit_code, 0) << added.output;
  LdapDirectory directory(slapd_.settings());
  const auto l = directory.lookup(address("nosuchuser@example.org"));
  EXPECT_EQ(l.kind, LookupKind::Unavailable) << l.detail;
  EXPECT_NE(l.detail.find("referred"), std::string::npos) << l.detail;
  EXPECT_EQ(directory.lookup(address("alice@example.org")).kind, LookupKind::Found);  // found here: fine
}
