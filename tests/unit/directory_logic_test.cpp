// The directory's pure parts: filter escaping, the cache (fake clock, fake directory) and the mapping
// from a lookup to a recipient or an outcome.
#include <gtest/gtest.h>

#include <deque>

#include "letterbox/directory/cached_directory.hpp"
#include "letterbox/directory/ldap_directory.hpp"
#include "letterbox/directory/recipient_resolver.hpp"

using namespace letterbox;
using namespace std::chrono_literals;

namespace {

Address address(const std::string& text) {
  std::string why;
  auto a = parse_address(text, "+", why);
  EXPECT_TRUE(a) << why;
  return a.value_or(Address{});
}

class FakeDirectory : public Directory {
 public:
  Lookup lookup(const Address& a) override {
    ++calls;
    last = a.lookup_key();
    Lookup l = answers.front();
    if (answers.size() > 1) answers.pop_front();
    return l;
  }
  std::deque<Lookup> answers;
  int calls = 0;
  std::string last;
};

Lookup found(const std::string& dn, std::map<std::string, std::string> attributes = {}) {
  return Lookup{LookupKind::Found, DirectoryEntry{dn, std::move(attributes)}, "", false};
}
Lookup of_kind(LookupKind kind) {
  return Lookup{kind, {}, std::string(lookup_kind_name(kind)), false};
}

}  // namespace

TEST(FilterEscaping, Rfc4515) {
  EXPECT_EQ(escape_filter_value("alice@example.org"), "alice@example.org");
  EXPECT_EQ(escape_filter_value("*"), "\\2A");
  EXPECT_EQ(escape_filter_value(")(uid=*"), "\\29\\28uid=\\2A");
  EXPECT_EQ(escape_filter_value("a\\b"), "a\\5Cb");
  EXPECT_EQ(escape_filter_value(std::string("a\0b", 3)), "a\\00b");
}

TEST(FilterEscaping, EveryPlaceholderIsEscaped) {
  Address a{"*", "ex)ample.org", ""};
  EXPECT_EQ(expand_filter("(&(mail=%s)(uid=%u)(dc=%d)(x=100%%))", a),
            "(&(mail=\\2A@ex\\29ample.org)(uid=\\2A)(dc=ex\\29ample.org)(x=100%))");
}

TEST(CachedDirectory, ServesFoundEntriesForCacheTtlAndUnknownForNegativeTtl) {
  FakeDirectory inner;
  inner.answers = {found("uid=a")};
  auto settings = default_settings().ldap;
  settings.cache_ttl = 60s;
  settings.negative_cache_ttl = 10s;
  auto now = std::chrono::steady_clock::time_point{} + 1h;
  CachedDirectory cache(inner, settings, 100, [&] { return now; });
  EXPECT_EQ(cache.lookup(address("a@x.org")).kind, LookupKind::Found);
  now += 59s;
  EXPECT_EQ(cache.lookup(address("A+tag@X.org")).kind, LookupKind::Found);
  EXPECT_EQ(inner.calls, 1);
  now += 2s;
  cache.lookup(address("a@x.org"));
  EXPECT_EQ(inner.calls, 2);

  inner.answers = {of_kind(LookupKind::Unknown)};
  EXPECT_EQ(cache.lookup(address("nobody@x.org")).kind, LookupKind::Unknown);
  now += 9s;
  EXPECT_EQ(cache.lookup(address("nobody@x.org")).kind, LookupKind::Unknown);
  EXPECT_EQ(inner.calls, 3);
  now += 2s;
  cache.lookup(address("nobody@x.org"));
  EXPECT_EQ(inner.calls, 4);
}

TEST(CachedDirectory, StalePositiveServedDuringOutageNegativeNever) {
  FakeDirectory inner;
  auto settings = default_settings().ldap;
  settings.cache_ttl = 60s;
  settings.negative_cache_ttl = 10s;
  settings.stale_ttl = 1h;
  auto now = std::chrono::steady_clock::time_point{} + 1h;
  CachedDirectory cache(inner, settings, 100, [&] { return now; });
  inner.answers = {found("uid=a")};
  cache.lookup(address("a@x.org"));
  inner.answers = {of_kind(LookupKind::Unknown)};
  cache.lookup(address("gone@x.org"));

  inner.answers = {of_kind(LookupKind::Unavailable)};
  now += 30min;
  const auto stale = cache.lookup(address("a@x.org"));
  EXPECT_EQ(stale.kind, LookupKind::Found);
  EXPECT_TRUE(stale.stale);
  EXPECT_EQ(cache.lookup(address("gone@x.org")).kind, LookupKind::Unavailable);  // never "unknown" from old data
  now += 31min;
  EXPECT_EQ(cache.lookup(address("a@x.org")).kind, LookupKind::Unavailable);  // past stale_ttl
}

TEST(CachedDirectory, AmbiguousAndUnavailableAreNotCached) {
  FakeDirectory inner;
  inner.answers = {of_kind(LookupKind::Ambiguous), of_kind(LookupKind::Unavailable), found("uid=t")};
  CachedDirectory cache(inner, default_settings().ldap);
  EXPECT_EQ(cache.lookup(address("t@x.org")).kind, LookupKind::Ambiguous);
  EXPECT_EQ(cache.lookup(address("t@x.org")).kind, LookupKind::Unavailable);
  EXPECT_EQ(cache.lookup(address("t@x.org")).kind, LookupKind::Found);
  EXPECT_EQ(inner.calls, 3);
}

TEST(CachedDirectory, StaysBounded) {
  FakeDirectory inner;
  inner.answers = {found("uid=a")};
  CachedDirectory cache(inner, default_settings().ldap, 1000);
  for (int i = 0; i < 5000; ++i) cache.lookup(address("u" + std::to_string(i) + "@x.org"));
  EXPECT_LE(dynamic_cast<MemoryCacheStore&>(cache.store()).size(), 1000U);
}

TEST(Resolver, DirectoryAnswersMapToTheSpecTable) {
  const auto settings = default_settings();
  const auto a = address("u@x.org");
  const auto reply = [&](const Lookup& l) {
    const auto r = resolve_recipient(settings, a, "u@x.org", l);
    return std::holds_alternative<Outcome>(r) ? lmtp_reply(std::get<Outcome>(r), "u@x.org") : std::string("accepted");
  };
  EXPECT_EQ(reply(of_kind(LookupKind::Unknown)), "550 5.1.1 <u@x.org> User unknown");
  EXPECT_EQ(reply(of_kind(LookupKind::Unavailable)), "450 4.4.3 <u@x.org> Directory unavailable, try again later");
  EXPECT_EQ(reply(of_kind(LookupKind::Ambiguous)), "451 4.3.0 <u@x.org> Local delivery error");
  EXPECT_EQ(reply(found("uid=u")), "accepted");
}

TEST(Resolver, StatusAttribute) {
  auto settings = default_settings();
  settings.ldap.status_attribute = "accountStatus";
  const auto a = address("u@x.org");
  const auto reply = [&](const std::string& status) {
    const auto r = resolve_recipient(settings, a, "u@x.org", found("uid=u", {{"accountstatus", status}}));
    return std::holds_alternative<Outcome>(r) ? lmtp_reply(std::get<Outcome>(r), "u@x.org") : std::string("accepted");
  };
  EXPECT_EQ(reply("disabled"), "550 5.2.1 <u@x.org> Mailbox disabled");
  EXPECT_EQ(reply("Disabled"), "550 5.2.1 <u@x.org> Mailbox disabled");
  EXPECT_EQ(reply("pending"), "450 4.2.1 <u@x.org> Mailbox temporarily unavailable");
  EXPECT_EQ(reply("migrating"), "450 4.2.1 <u@x.org> Mailbox temporarily unavailable");
  EXPECT_EQ(reply("active"), "accepted");
}

TEST(Resolver, HostAttributeSendsOtherHostsMailboxesThereAndRefusesForgedValues) {
  auto settings = default_settings();
  settings.server.hostname = "mx1.example.org";
  settings.ldap.host_attribute = "mailHost";
  settings.ldap.status_attribute = "accountStatus";
  const auto a = address("u@x.org");
  const auto reply = [&](std::map<std::string, std::string> attributes) {
    const auto r = resolve_recipient(settings, a, "u@x.org", found("uid=u", std::move(attributes)));
    return std::holds_alternative<Outcome>(r) ? lmtp_reply(std::get<Outcome>(r), "u@x.org") : std::string("accepted");
  };
  EXPECT_EQ(reply({}), "accepted");
  EXPECT_EQ(reply({{"mailhost", "mx1.example.org"}}), "accepted");
  EXPECT_EQ(reply({{"mailhost", "MX1.Example.ORG"}}), "accepted");
  EXPECT_EQ(reply({{"mailhost", "mx2.example.org"}}), "450 4.4.4 <u@x.org> Mailbox is on host mx2.example.org");
  EXPECT_EQ(reply({{"mailhost", "192.0.2.7"}}), "450 4.4.4 <u@x.org> Mailbox is on host 192.0.2.7");
  // A disabled account is disabled wherever it lives: no host is asked to bounce it.
  EXPECT_EQ(reply({{"mailhost", "mx2.example.org"}, {"accountstatus", "disabled"}}),
            "550 5.2.1 <u@x.org> Mailbox disabled");
  EXPECT_EQ(reply({{"mailhost", "mx2 250 2.0.0 ok"}}), "451 4.3.0 <u@x.org> Local delivery error");
  EXPECT_EQ(reply({{"mailhost", "mx2\r\n250 ok"}}), "451 4.3.0 <u@x.org> Local delivery error");
  settings.ldap.host_attribute.clear();  // off: every mailbox is here, whatever the entry says
  EXPECT_EQ(reply({{"mailhost", "mx2.example.org"}}), "accepted");
}

TEST(Resolver, MailboxFormatAndQuota) {
  auto settings = default_settings();
  settings.ldap.mailbox_attribute = "mailbox";
  settings.ldap.format_attribute = "format";
  settings.ldap.quota_attribute = "quota";
  settings.delivery.quota = 5000;
  const auto a = address("Alice+Lists@Example.org");
  auto r = resolve_recipient(settings, a, "Alice+Lists@Example.org", found("uid=a"));
  ASSERT_TRUE(std::holds_alternative<Recipient>(r));
  auto rcpt = std::get<Recipient>(r);
  EXPECT_EQ(rcpt.address, "Alice+Lists@Example.org");
  EXPECT_EQ(rcpt.mailbox, "example.org/alice/Maildir");
  EXPECT_EQ(rcpt.format, MailboxFormat::Maildir);
  EXPECT_EQ(rcpt.quota, 5000U);
  EXPECT_EQ(rcpt.folder, "Lists");

  r = resolve_recipient(settings, a, "a", found("uid=a", {{"mailbox", "x/alice.mbox"}, {"quota", "2M"}}));
  rcpt = std::get<Recipient>(r);
  EXPECT_EQ(rcpt.mailbox, "x/alice.mbox");
  EXPECT_EQ(rcpt.format, MailboxFormat::Maildir);  // default_format, since the path does not say
  EXPECT_EQ(rcpt.quota, 2U << 20);

  r = resolve_recipient(settings, a, "a", found("uid=a", {{"mailbox", "x/alice"}, {"format", "MBOX"}}));
  EXPECT_EQ(std::get<Recipient>(r).format, MailboxFormat::Mbox);
  r = resolve_recipient(settings, a, "a", found("uid=a", {{"mailbox", "x/alice/"}, {"quota", "lots"}}));
  EXPECT_EQ(std::get<Recipient>(r).quota, 5000U);  // unreadable: the default, logged
  r = resolve_recipient(settings, a, "a", found("uid=a", {{"format", "mh"}}));
  ASSERT_TRUE(std::holds_alternative<Outcome>(r));
  EXPECT_EQ(std::get<Outcome>(r).code, 451);

  settings.delivery.default_format = MailboxFormat::Mbox;
  r = resolve_recipient(settings, a, "a", found("uid=a", {{"mailbox", "x/Maildir"}}));
  EXPECT_EQ(std::get<Recipient>(r).format, MailboxFormat::Maildir);
}

TEST(Resolver, TemplateValuesCannotAddPathLevels) {
  EXPECT_EQ(expand_mailbox_template("%d/%u/Maildir", Address{"bob", "example.org", ""}), "example.org/bob/Maildir");
  EXPECT_EQ(expand_mailbox_template("%a.mbox", Address{"bob", "example.org", ""}), "bob@example.org.mbox");
  EXPECT_EQ(expand_mailbox_template("%d/%u", Address{"b/../../x", "example.org", ""}), "");
  EXPECT_EQ(expand_mailbox_template("%d/%u", Address{".hidden", "example.org", ""}), "");
  EXPECT_EQ(expand_mailbox_template("100%%/%u", Address{"bob", "x", ""}), "100%/bob");
}
