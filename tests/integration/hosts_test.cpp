// Several hosts on this one machine (docs/scaling.md): each server on its own loopback address
// (127.0.0.2, 127.0.0.3, ...). A replicated directory is two real slapd with syncrepl, a provider and
// a consumer; delivery hosts are real letterbox-lmtpd processes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include "delivery_host.hpp"
#include "slapd.hpp"
#include "test_support.hpp"

using namespace letterbox;
using namespace letterbox::test;
using namespace std::chrono_literals;

namespace {

// Delivers one message to `rcpt` over a fresh session; returns the reply to RCPT, or to DATA when RCPT
// was accepted.
std::string deliver_one(const std::string& address, int port, const std::string& rcpt, const std::string& id) {
  LineClient c(port, "", address);
  if (!c.reply().starts_with("220")) return "no greeting";
  c.command("LHLO client.test");
  if (c.command("MAIL FROM:<sender@client.test>") != "250 2.1.0 Sender OK") return "MAIL refused";
  const auto rcpt_reply = c.command("RCPT TO:<" + rcpt + ">");
  if (!rcpt_reply.starts_with("250")) return rcpt_reply;
  c.command("DATA");
  c.send(smtp_data(test_message(id)));
  return c.reply(60s);
}

constexpr const char* kIvan =
    "dn: uid=ivan,ou=people,dc=example,dc=org\n"
    "objectClass: inetOrgPerson\nobjectClass: letterboxAccount\n"
    "uid: ivan\ncn: Ivan\nsn: New\nmail: ivan@example.org\n";

}  // namespace

TEST(ReplicatedDirectoryTest, AnEntryAddedOnTheProviderIsDeliveredToThroughTheConsumer) {
  Slapd provider(Slapd::Transport::Plain, Slapd::Role::Provider, "127.0.0.2");
  Slapd consumer(Slapd::ConsumerOf{provider}, "127.0.0.3");
  // The delivery host asks only the consumer, as a host with a replica of its own would.
  DeliveryHost host("127.0.0.4", free_port(), {&consumer}, "",
                    "cache_ttl = 0s\nnegative_cache_ttl = 0s\nstale_ttl = 0s\n");
  EXPECT_EQ(deliver_one("127.0.0.4", host.port(), "ivan@example.org", "before"),
            "550 5.1.1 <ivan@example.org> User unknown");

  provider.add(kIvan);
  ASSERT_TRUE(wait_until([&] { return consumer.has_entry("(uid=ivan)"); }, 15s)) << "syncrepl did not copy ivan";
  EXPECT_EQ(deliver_one("127.0.0.4", host.port(), "ivan@example.org", "after"),
            "250 2.0.0 <ivan@example.org> Delivered");
  EXPECT_EQ(read_mailbox("maildir", host.maildir("ivan")),
            "after\tOK\t<sender@client.test>\tivan@example.org\ncount 1\n");
}

TEST(ReplicatedDirectoryTest, TheProviderStoppedMidLoadDeliveriesGoOnWithNo5xx) {
  Slapd provider(Slapd::Transport::Plain, Slapd::Role::Provider, "127.0.0.2");
  Slapd consumer(Slapd::ConsumerOf{provider}, "127.0.0.3");
  // `uri` lists both, the provider first; no cache, so that every recipient asks the directory.
  DeliveryHost host("127.0.0.4", free_port(), {&provider, &consumer}, "",
                    "cache_ttl = 0s\nnegative_cache_ttl = 0s\nstale_ttl = 0s\n");

  // 4 clients deliver before the provider is killed and go on until 80 messages have been answered
  // after it is gone: a fixed number, whatever the kill and its wait took.
  constexpr int kClients = 4;
  constexpr int kAfterStop = 80;
  std::atomic<int> done{0};
  std::atomic<bool> provider_stopped{false};
  std::atomic<bool> enough{false};
  std::mutex mutex;
  std::vector<std::string> replies;
  int answered_after_stop = 0;
  int delivered_after_stop = 0;
  std::string not_delivered;  // after the kill
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; !enough && i < 1000; ++i) {
        const bool after = provider_stopped;
        const auto reply = deliver_one("127.0.0.4", host.port(), "alice@example.org",
                                       "c" + std::to_string(t) + "-" + std::to_string(i));
        std::lock_guard lock(mutex);
        replies.push_back(reply);
        ++done;
        if (!after) continue;
        ++answered_after_stop;
        if (reply.starts_with("250 ")) {
          ++delivered_after_stop;
        } else {
          not_delivered += reply + "\n";
        }
        if (answered_after_stop >= kAfterStop) enough = true;
      }
    });
  }
  ASSERT_TRUE(wait_until([&] { return done >= 40; }, 60s));
  provider.stop();
  provider_stopped = true;
  for (auto& c : clients) c.join();

  int delivered = 0;
  for (const auto& r : replies) {
    EXPECT_FALSE(r.starts_with("5")) << r;  // a directory that is half there never bounces mail
    EXPECT_TRUE(r.starts_with("250 ") || r.starts_with("4")) << r;
    if (r.starts_with("250 ")) ++delivered;
  }
  // The consumer answers for the provider: after the kill, deliveries go on. A lookup cut by the kill,
  // or one slower than the 1 s timeout on a loaded machine, may defer (4xx, retried by the MTA), so
  // "go on" is three quarters, not all; every reply after the kill that was not a 250 is shown.
  EXPECT_GE(answered_after_stop, kAfterStop);
  EXPECT_GE(delivered_after_stop, answered_after_stop * 3 / 4) << not_delivered << read_file(host.log());
  RecordProperty("delivered_after_stop",
                 std::to_string(delivered_after_stop) + "/" + std::to_string(answered_after_stop));
  const auto report = read_mailbox("maildir", host.maildir("alice"));
  EXPECT_NE(report.find("count " + std::to_string(delivered) + "\n"), std::string::npos) << report;
  EXPECT_EQ(report.find("BAD"), std::string::npos) << report;
}

namespace {

// judy's mailbox is on host 2 (127.0.0.3); mia's on a host that accepts connections and never answers
// (127.0.0.5); lou's on host 2 for host 1, but on host 1 for a host 2 that reads `description` instead:
// two hosts whose directories disagree.
constexpr const char* kHostEntries =
    "dn: uid=judy,ou=people,dc=example,dc=org\n"
    "objectClass: inetOrgPerson\nobjectClass: letterboxAccount\n"
    "uid: judy\ncn: Judy\nsn: Two\nmail: judy@example.org\nletterboxHost: 127.0.0.3\n\n"
    "dn: uid=mia,ou=people,dc=example,dc=org\n"
    "objectClass: inetOrgPerson\nobjectClass: letterboxAccount\n"
    "uid: mia\ncn: Mia\nsn: Silent\nmail: mia@example.org\nletterboxHost: 127.0.0.5\n\n"
    "dn: uid=lou,ou=people,dc=example,dc=org\n"
    "objectClass: inetOrgPerson\nobjectClass: letterboxAccount\n"
    "uid: lou\ncn: Lou\nsn: Loop\nmail: lou@example.org\nletterboxHost: 127.0.0.3\ndescription: 127.0.0.2\n";

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override { slapd_.add(kHostEntries); }

  // Host 1 and host 2 on one port number, each on its own address: proxy_port is the same everywhere.
  void start(const std::string& host1_extra, const std::string& host2_ldap = "host_attribute = letterboxHost\n",
             const std::string& host2_extra = "") {
    host1_ = std::make_unique<DeliveryHost>("127.0.0.2", port_, std::vector<const Slapd*>{&slapd_}, host1_extra);
    host2_ = std::make_unique<DeliveryHost>("127.0.0.3", port_, std::vector<const Slapd*>{&slapd_},
                                            "proxy = yes\nproxy_timeout = 1s\n" + host2_extra, host2_ldap);
  }

  // One transaction on host 1: every RCPT reply, then every reply after the message, one per line.
  std::string through_host1(const std::vector<std::string>& rcpts, const std::string& message) {
    LineClient c(port_, "", "127.0.0.2");
    std::string out = c.reply() + "\n";
    c.command("LHLO client.test");
    out += c.command("MAIL FROM:<sender@client.test>") + "\n";
    int accepted = 0;
    for (const auto& r : rcpts) {
      const auto reply = c.command("RCPT TO:<" + r + ">");
      if (reply.starts_with("250")) ++accepted;
      out += reply + "\n";
    }
    if (accepted == 0) return out;
    out += c.command("DATA") + "\n";
    c.send(smtp_data(message));
    for (int i = 0; i < accepted; ++i) out += c.reply(60s) + "\n";
    return out;
  }

  Slapd slapd_;
  int port_ = free_port();
  std::unique_ptr<DeliveryHost> host1_;
  std::unique_ptr<DeliveryHost> host2_;
};

std::string only_file_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  if (files.size() != 1) return "files: " + std::to_string(files.size());
  return read_file(files.front());
}

}  // namespace

TEST_F(ProxyTest, ALocalAndARemoteRecipientThroughHost1LandInHost1sAndHost2sStorage) {
  start("proxy = yes\nproxy_timeout = 5s\n");
  // Lines that start with a dot, and one that ends without a newline: the relay must stuff and end them.
  const std::string message = test_message("p1") + ".dot line\n..two dots\n.\nlast";
  EXPECT_EQ(through_host1({"alice@example.org", "judy@example.org", "nobody@example.org"}, message),
            "220 127.0.0.2 LMTP Letterbox ready\n"
            "250 2.1.0 Sender OK\n"
            "250 2.1.5 <alice@example.org> OK\n"
            "250 2.1.5 <judy@example.org> OK\n"
            "550 5.1.1 <nobody@example.org> User unknown\n"
            "354 Start mail input; end with <CRLF>.<CRLF>\n"
            "250 2.0.0 <alice@example.org> Delivered\n"
            "250 2.0.0 <judy@example.org> Delivered\n");
  const auto alice_copy = only_file_in(host1_->maildir("alice") / "new");
  const auto judy_copy = only_file_in(host2_->maildir("judy") / "new");
  EXPECT_NE(judy_copy.find("\n.dot line\n..two dots\n.\nlast\n"), std::string::npos) << judy_copy;
  // The body is the same bytes on both hosts; host 2 adds its own trace headers.
  const auto body = [](const std::string& m) { return m.substr(m.find("Message-ID:")); };
  EXPECT_EQ(body(alice_copy), body(judy_copy));
  EXPECT_FALSE(std::filesystem::exists(host1_->maildir("judy")));
  EXPECT_FALSE(std::filesystem::exists(host2_->maildir("alice")));
  EXPECT_NE(read_file(host2_->log()).find("proxied here by 127.0.0.2"), std::string::npos) << read_file(host2_->log());
  EXPECT_NE(read_file(host1_->log()).find("to=<judy@example.org> mailbox=lmtp:127.0.0.3:" + std::to_string(port_)),
            std::string::npos)
      << read_file(host1_->log());
}

TEST_F(ProxyTest, AHostThatIsDownOrSilentIs451_4_4_1NeverA5xx) {
  start("proxy = yes\nproxy_timeout = 1s\n");
  // 127.0.0.5 accepts the connection (the kernel does, from the backlog) and never says a word.
  const int silent = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  inet_pton(AF_INET, "127.0.0.5", &addr.sin_addr);
  ASSERT_EQ(bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(silent, 16), 0);
  host2_->stop();
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(through_host1({"alice@example.org", "judy@example.org", "mia@example.org"}, test_message("p2")),
            "220 127.0.0.2 LMTP Letterbox ready\n"
            "250 2.1.0 Sender OK\n"
            "250 2.1.5 <alice@example.org> OK\n"
            "250 2.1.5 <judy@example.org> OK\n"
            "250 2.1.5 <mia@example.org> OK\n"
            "354 Start mail input; end with <CRLF>.<CRLF>\n"
            "250 2.0.0 <alice@example.org> Delivered\n"
            "451 4.4.1 <judy@example.org> No answer from mailbox host 127.0.0.3\n"
            "451 4.4.1 <mia@example.org> No answer from mailbox host 127.0.0.5\n");
  // proxy_timeout (1s) bounds the wait for the silent host; the two relays run side by side.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  close(silent);
  const auto log = read_file(host1_->log());
  EXPECT_NE(log.find("127.0.0.3:" + std::to_string(port_) + ", at connecting: cannot connect: Connection refused"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("127.0.0.5:" + std::to_string(port_) + ", at the greeting: no answer within proxy_timeout"),
            std::string::npos)
      << log;
}

TEST_F(ProxyTest, TwoHostsWhoseDirectoriesDisagreeAnswer450_4_4_6NotALoop) {
  // Host 2 reads the host from `description`, which puts lou on host 1.
  start("proxy = yes\nproxy_timeout = 5s\n", "host_attribute = description\n");
  EXPECT_EQ(through_host1({"lou@example.org"}, test_message("p3")),
            "220 127.0.0.2 LMTP Letterbox ready\n"
            "250 2.1.0 Sender OK\n"
            "250 2.1.5 <lou@example.org> OK\n"
            "354 Start mail input; end with <CRLF>.<CRLF>\n"
            "450 4.4.6 <lou@example.org> Routing loop, mailbox is on host 127.0.0.2\n");
  EXPECT_FALSE(std::filesystem::exists(host1_->mail_root() / "example.org" / "lou"));
  EXPECT_FALSE(std::filesystem::exists(host2_->mail_root() / "example.org" / "lou"));
}

TEST_F(ProxyTest, ProxyOffAnswers450_4_4_4AtRcpt) {
  start("");
  EXPECT_EQ(through_host1({"judy@example.org"}, test_message("p4")),
            "220 127.0.0.2 LMTP Letterbox ready\n"
            "250 2.1.0 Sender OK\n"
            "450 4.4.4 <judy@example.org> Mailbox is on host 127.0.0.3\n");
}

TEST_F(ProxyTest, TheRelayUsesStartTlsWhenTheOtherHostOffersIt) {
  TempDir certificates;
  make_test_ca(certificates.path(), "ca", true);
  // tls_required on host 2: a relay in the clear would get 530 there, and its recipient 451 4.4.1 here.
  start("proxy = yes\nproxy_timeout = 5s\n", "host_attribute = letterboxHost\n",
        "tls_cert_file = " + (certificates / "server.pem").string() +
            "\ntls_key_file = " + (certificates / "server.key").string() + "\ntls_required = yes\n");
  EXPECT_EQ(through_host1({"judy@example.org"}, test_message("p5")),
            "220 127.0.0.2 LMTP Letterbox ready\n"
            "250 2.1.0 Sender OK\n"
            "250 2.1.5 <judy@example.org> OK\n"
            "354 Start mail input; end with <CRLF>.<CRLF>\n"
            "250 2.0.0 <judy@example.org> Delivered\n");
  EXPECT_NE(read_file(host2_->log()).find("TLS established: TLSv1.3"), std::string::npos) << read_file(host2_->log());
  const auto copy = only_file_in(host2_->maildir("judy") / "new");
  EXPECT_NE(copy.find("with LMTPS"), std::string::npos) << copy;
}

TEST_F(ProxyTest, ARelayedMessageIsStreamedNotHeldInMemory) {
  start("proxy = yes\nproxy_timeout = 30s\nmax_message_size = 100M\n");
  LineClient c(port_, "", "127.0.0.2");
  c.reply();
  c.command("LHLO client.test");
  c.command("MAIL FROM:<sender@client.test>");
  ASSERT_EQ(c.command("RCPT TO:<judy@example.org>"), "250 2.1.5 <judy@example.org> OK");
  ASSERT_TRUE(c.command("DATA").starts_with("354"));
  send_large_message(c, "forty", 40ULL * 1024 * 1024);
  EXPECT_EQ(c.reply(120s), "250 2.0.0 <judy@example.org> Delivered");
  const long peak_kib = status_kib(host1_->pid(), "VmHWM");
  std::printf("relaying host's peak RSS after relaying a 40 MiB message: %ld KiB\n", peak_kib);
  RecordProperty("relay_peak_rss_kib", std::to_string(peak_kib));
#ifndef LETTERBOX_SANITIZED
  // 40 MiB went through host 1: its spool is a file, and the relay reads and sends it in 64 KiB batches.
  EXPECT_GT(peak_kib, 0);
  EXPECT_LT(peak_kib, 32 * 1024);
#endif
  const auto copy = only_file_in(host2_->maildir("judy") / "new");
  EXPECT_GT(copy.size(), 40U * 1024 * 1024 - 2 * 1024 * 1024);  // CRLF became LF on the way in
  EXPECT_NE(copy.find("line 999 of a large message"), std::string::npos);
}
