// letterbox-policyd as Postfix's smtpd sees it: a real process on a real UNIX socket, a real slapd, the
// policy delegation protocol byte for byte. Every action is asserted exactly.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include "slapd.hpp"
#include "test_support.hpp"

using namespace letterbox;
using namespace letterbox::test;
using namespace std::chrono_literals;

namespace {

// One connection, as smtpd keeps it: requests out, "action=...\n\n" back.
class PolicyClient {
 public:
  explicit PolicyClient(const std::filesystem::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("connect " + path.string() + ": " + std::strerror(errno));
    }
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~PolicyClient() { ::close(fd_); }
  PolicyClient(const PolicyClient&) = delete;
  PolicyClient& operator=(const PolicyClient&) = delete;

  void send(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  }
  // The action of the next reply ("" when the server closed the connection without one).
  std::string reply() {
    for (;;) {
      if (const auto end = buffer_.find("\n\n"); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return line.starts_with("action=") ? line.substr(7) : "MALFORMED: " + line;
      }
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  std::string ask(const std::string& request) {
    send(request);
    return reply();
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

std::string request(const std::string& recipient, const std::string& extra = "", const std::string& state = "RCPT") {
  return "request=smtpd_access_policy\nprotocol_state=" + state +
         "\nprotocol_name=ESMTP\nclient_address=192.0.2.10\nclient_name=mx.sender.test\nhelo_name=mx.sender.test\n"
         "sender=someone@sender.test\nrecipient=" +
         recipient + "\n" + extra + "\n";
}

class PolicydTest : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directories(mail_root()); }
  void TearDown() override {
    if (server_) server_->stop();
    mounts_.clear();
  }
  // `where` becomes a tmpfs of `size` owned by the test (root only), unmounted by TearDown.
  void mount_tmpfs(const std::string& size, const std::filesystem::path& where) {
    mounts_.push_back(std::make_unique<TmpfsMount>(where, size));
  }

  std::filesystem::path mail_root() const { return tmp_ / "mail"; }
  std::filesystem::path socket_path() const { return tmp_ / "policy.sock"; }
  std::filesystem::path config() const { return tmp_ / "letterbox.conf"; }
  std::filesystem::path log() const { return tmp_ / "policyd.log"; }

  std::string config_text(const std::string& policy_extra = "", const std::string& delivery_extra = "") const {
    return "[server]\nuser = nobody\ngroup = nogroup\n" +
           slapd_.config_section(
               "host_attribute = letterboxHost\ncache_ttl = 0s\nnegative_cache_ttl = 0s\nstale_ttl = 0s\n") +
           "[delivery]\nmail_root = " + mail_root().string() + "\n" + delivery_extra +
           "[policy]\nlisten = unix:" + socket_path().string() +
           "\ndomains = example.org\ngreylist_db = " + greylist_db_.string() + "\n" + policy_extra +
           "[log]\ntarget = " + log().string() + "\n";
  }

  void start(const std::string& policy_extra = "", const std::string& delivery_extra = "") {
    write_file(config(), config_text(policy_extra, delivery_extra));
    launch();
  }
  void launch() {
    std::filesystem::remove(socket_path());
    server_ = std::make_unique<Background>(
        std::vector<std::string>{LETTERBOX_POLICYD_PATH, "-c", config().string(), "--foreground"});
    ASSERT_TRUE(wait_for_file(socket_path())) << read_file(log());
  }

  std::unique_ptr<PolicyClient> connect() { return std::make_unique<PolicyClient>(socket_path()); }

  std::filesystem::path alice() const { return mail_root() / "example.org" / "alice" / "Maildir"; }

  Slapd slapd_;
  TempDir tmp_;
  std::filesystem::path greylist_db_ = tmp_ / "greylist.db";
  std::unique_ptr<Background> server_;
  std::vector<std::unique_ptr<TmpfsMount>> mounts_;
};

}  // namespace

TEST_F(PolicydTest, EveryRowOfTheTableOnOneConnection) {
  start("", "quota = 10K\n");
  // alice is a Maildir under [delivery] quota; 9,000 bytes of it are used.
  std::filesystem::create_directories(alice() / "new");
  std::filesystem::create_directories(alice() / "cur");
  std::filesystem::create_directories(alice() / "tmp");
  write_file(alice() / "cur" / "1.M1P1.host,S=9000:2,", std::string(9000, 'x'));
  auto c = connect();
  EXPECT_EQ(c->ask(request("alice@example.org")), "DUNNO");
  EXPECT_EQ(c->ask(request("nobody@example.org")), "550 5.1.1 User unknown");
  EXPECT_EQ(c->ask(request("carol@example.org")), "550 5.2.1 Mailbox disabled");
  EXPECT_EQ(c->ask(request("dave@example.org")), "DEFER_IF_PERMIT 4.2.1 Mailbox temporarily unavailable");
  EXPECT_EQ(c->ask(request("twin@example.org")), "DEFER_IF_PERMIT 4.4.3 Directory unavailable, try again later");
  // MAIL FROM's SIZE= (size=): 9,000 used + 2,000 > 10 KiB. alice's alias ali@ has a mailbox of its own
  // name (the template is expanded from the recipient, as delivery does), which is empty.
  EXPECT_EQ(c->ask(request("alice@example.org", "size=2000\n")), "DEFER_IF_PERMIT 4.2.2 Mailbox full");
  EXPECT_EQ(c->ask(request("ali@example.org", "size=2000\n")), "DUNNO");
  EXPECT_EQ(c->ask(request("Alice+Lists@Example.ORG", "size=2000\n")), "DEFER_IF_PERMIT 4.2.2 Mailbox full");
  EXPECT_EQ(c->ask(request("alice@example.org", "size=1000\n")), "DUNNO");
  // A SIZE= near 2^64 must not wrap the sum round to "fits".
  EXPECT_EQ(c->ask(request("alice@example.org", "size=18446744073709551615\n")), "DEFER_IF_PERMIT 4.2.2 Mailbox full");
  // Another domain, another protocol state, an address smtpd will refuse itself: not ours to judge.
  EXPECT_EQ(c->ask(request("nobody@elsewhere.test")), "DUNNO");
  EXPECT_EQ(c->ask(request("nobody@example.org", "", "MAIL")), "DUNNO");
  EXPECT_EQ(c->ask(request("not an address")), "DUNNO");
  // END-OF-MESSAGE with one recipient: the quota again, with the real size.
  EXPECT_EQ(c->ask(request("alice@example.org", "recipient_count=1\nsize=5000\n", "END-OF-MESSAGE")),
            "DEFER_IF_PERMIT 4.2.2 Mailbox full");
  EXPECT_EQ(c->ask(request("alice@example.org", "recipient_count=2\nsize=5000\n", "END-OF-MESSAGE")), "DUNNO");
  // Unknown attributes, any order.
  EXPECT_EQ(c->ask("recipient=nobody@example.org\nfuture_attribute=x\nprotocol_state=RCPT\n"
                   "request=smtpd_access_policy\n\n"),
            "550 5.1.1 User unknown");
  const auto text = read_file(log());
  EXPECT_NE(text.find("client=192.0.2.10 from=<someone@sender.test> to=<nobody@example.org> "
                      "action=\"550 5.1.1 User unknown\" reason=\"user-unknown"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("to=<alice@example.org> action=\"DUNNO\""), std::string::npos) << "DUNNO is not logged";
}

TEST_F(PolicydTest, QuotaReplyFollowsQuotaFullReplyAndAnAliasOfAFullMailboxIsFull) {
  start("", "quota_full_reply = 552\n");
  // bob: an mbox with a 1 MiB quota, 1,040,000 bytes used.
  std::filesystem::create_directories(mail_root() / "example.org");
  write_file(mail_root() / "example.org" / "bob.mbox",
             "From x Thu Jan  1 00:00:00 1970\n" + std::string(1'040'000, 'b'));
  auto c = connect();
  EXPECT_EQ(c->ask(request("bob.builder@example.org", "size=10000\n")), "552 5.2.2 Mailbox full");
  EXPECT_EQ(c->ask(request("builder@example.org", "size=10000\n")), "552 5.2.2 Mailbox full");  // an alias
  EXPECT_EQ(c->ask(request("bob.builder@example.org", "size=1000\n")), "DUNNO");
  EXPECT_EQ(c->ask(request("bob.builder@example.org", "size=18446744073709551600\n")), "552 5.2.2 Mailbox full");
  EXPECT_EQ(c->ask(request("erin@example.org", "size=99999999\n")), "DUNNO");  // no quota
}

TEST_F(PolicydTest, LdapMetacharactersAreNeverAWildcard) {
  start();
  auto c = connect();
  EXPECT_EQ(c->ask(request("al*@example.org")), "550 5.1.1 User unknown");
  EXPECT_EQ(c->ask(request("*@example.org")), "550 5.1.1 User unknown");
  EXPECT_EQ(c->ask(request("alice)(uid=*@example.org")), "DUNNO");  // not an address: smtpd's to refuse
}

TEST_F(PolicydTest, DirectoryDownIs443NeverA5xx) {
  start();
  slapd_.stop();
  auto c = connect();
  for (const char* rcpt : {"alice@example.org", "nobody@example.org", "carol@example.org"}) {
    EXPECT_EQ(c->ask(request(rcpt)), "DEFER_IF_PERMIT 4.4.3 Directory unavailable, try again later") << rcpt;
  }
  slapd_.start();
  EXPECT_EQ(c->ask(request("nobody@example.org")), "550 5.1.1 User unknown");
}

TEST_F(PolicydTest, ABadRequestClosesTheConnectionWithoutAReply) {
  start();
  {
    auto c = connect();
    EXPECT_EQ(c->ask("request=junk\nrecipient=nobody@example.org\n\n"), "");
  }
  {
    auto c = connect();
    EXPECT_EQ(c->ask("this line has no equals sign\n\n"), "");
  }
  {
    auto c = connect();
    EXPECT_EQ(c->ask("request=smtpd_access_policy\nrecipient=" + std::string(3000, 'a') + "\n\n"), "");
  }
  {
    std::string many = "request=smtpd_access_policy\n";
    for (int i = 0; i < 101; ++i) many += "a" + std::to_string(i) + "=x\n";
    auto c = connect();
    EXPECT_EQ(c->ask(many + "\n"), "");
  }
  // The service goes on.
  auto c = connect();
  EXPECT_EQ(c->ask(request("nobody@example.org")), "550 5.1.1 User unknown");
  const auto text = read_file(log());
  EXPECT_NE(text.find("bad request (request=junk is not smtpd_access_policy), connection closed without a reply"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("bad request (more than 100 attributes)"), std::string::npos) << text;
}

TEST_F(PolicydTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  auto c = connect();
  c->send(request("nobody@example.org") + request("alice@example.org") + request("carol@example.org"));
  EXPECT_EQ(c->reply(), "550 5.1.1 User unknown");
  EXPECT_EQ(c->reply(), "DUNNO");
  EXPECT_EQ(c->reply(), "550 5.2.1 Mailbox disabled");
}

TEST_F(PolicydTest, Greylisting) {
  start("greylist = yes\ngreylist_delay = 2s\ngreylist_auto_allow = 2\n");
  auto c = connect();
  const auto from = [](const std::string& sender, const std::string& client = "192.0.2.10") {
    return "client_address=" + client + "\nsender=" + sender + "\n";
  };
  const std::string first = request("alice@example.org", from("prvs=1234abcd=news@sender.test"));
  EXPECT_EQ(c->ask(first), "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 2 seconds");
  EXPECT_EQ(c->ask(first), "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 2 seconds");  // too early
  // An unknown user is refused, never greylisted; postmaster and SASL clients are never greylisted.
  EXPECT_EQ(c->ask(request("nobody@example.org")), "550 5.1.1 User unknown");
  EXPECT_EQ(c->ask(request("alice@example.org", from("x@sender.test") + "sasl_username=alice\n")), "DUNNO");
  EXPECT_EQ(c->ask(request("alice@example.org", from("x@sender.test", "127.0.0.1"))), "DUNNO");
  std::this_thread::sleep_for(2100ms);
  // The retry: from the same /24, with a new BATV tag. Then the triplet passes at once.
  const auto passed = c->ask(request("alice@example.org", from("prvs=99ffee00=news@sender.test", "192.0.2.77")));
  EXPECT_TRUE(passed.starts_with("PREPEND X-Greylist: delayed 2 seconds by letterbox-policyd")) << passed;
  EXPECT_EQ(c->ask(first), "DUNNO");
  // Another network starts from the beginning.
  EXPECT_EQ(c->ask(request("alice@example.org", from("news@sender.test", "198.51.100.1"))),
            "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 2 seconds");

  // The passed triplet survives SIGTERM and kill -9.
  EXPECT_EQ(server_->signal_and_wait(SIGTERM), 0);
  launch();
  c = connect();
  EXPECT_EQ(c->ask(first), "DUNNO");
  EXPECT_EQ(server_->signal_and_wait(SIGKILL), 128 + SIGKILL);
  launch();
  c = connect();
  EXPECT_EQ(c->ask(first), "DUNNO");

  // A second triplet from 192.0.2.0/24 passes: that network is now auto-allowed (greylist_auto_allow = 2).
  const std::string other = request("alice@example.org", from("other@sender.test"));
  EXPECT_EQ(c->ask(other), "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 2 seconds");
  std::this_thread::sleep_for(2100ms);
  EXPECT_TRUE(c->ask(other).starts_with("PREPEND X-Greylist:"));
  EXPECT_EQ(c->ask(request("alice@example.org", from("third@sender.test", "192.0.2.200"))), "DUNNO");
}

TEST_F(PolicydTest, AMailboxOnAnotherDeliveryHostIsARecipientLikeAnyOther) {
  // frank's entry puts his mailbox on mx2.test: he exists, so the edge takes his mail (that host counts
  // his quota), and the greylist treats him like anyone else.
  start("greylist = yes\ngreylist_delay = 1h\n", "quota = 10K\n");
  auto c = connect();
  EXPECT_EQ(c->ask(request("frank@example.org", "sasl_username=someone\nsize=99999999\n")), "DUNNO");
  EXPECT_EQ(c->ask(request("frank@example.org")), "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 3600 seconds");
  // A host value that could forge a reply is the directory's mistake: retried, never a bounce.
  EXPECT_EQ(c->ask(request("heidi@example.org", "sasl_username=someone\n")), "451 4.3.0 Local delivery error");
}

TEST_F(PolicydTest, AllowedRecipientsAreNeverGreylisted) {
  start("greylist = yes\ngreylist_allow_recipients = erin bob.builder@example.org\n");
  auto c = connect();
  EXPECT_EQ(c->ask(request("erin@example.org")), "DUNNO");         // a local part
  EXPECT_EQ(c->ask(request("Erin+Lists@example.org")), "DUNNO");   // with a subaddress
  EXPECT_EQ(c->ask(request("bob.builder@example.org")), "DUNNO");  // a whole address
  EXPECT_EQ(c->ask(request("alice@example.org")), "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds");
}

TEST_F(PolicydTest, AGreylistStoreOverwrittenWithGarbageIsRebuilt) {
  start("greylist = yes\ngreylist_delay = 1s\n");
  auto c = connect();
  EXPECT_EQ(c->ask(request("alice@example.org")), "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 1 second");
  EXPECT_EQ(server_->signal_and_wait(SIGTERM), 0);
  write_file(tmp_ / "greylist.db", std::string(100000, '\x5a'));
  std::filesystem::permissions(tmp_ / "greylist.db",
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  launch();
  c = connect();
  EXPECT_EQ(c->ask(request("alice@example.org")), "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 1 second");
  EXPECT_EQ(c->ask(request("nobody@example.org")), "550 5.1.1 User unknown");
  EXPECT_NE(read_file(log()).find("greylist store rebuilt empty: " + (tmp_ / "greylist.db").string() +
                                  " is not a greylist store"),
            std::string::npos)
      << read_file(log());
}

TEST_F(PolicydTest, AnUnusableGreylistStoreTurnsGreylistingOffNeverRejects) {
  std::filesystem::create_symlink(tmp_ / "elsewhere", tmp_ / "greylist.db");
  start("greylist = yes\n");
  auto c = connect();
  EXPECT_EQ(c->ask(request("alice@example.org")), "DUNNO");
  EXPECT_EQ(c->ask(request("nobody@example.org")), "550 5.1.1 User unknown");
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "elsewhere"));
  EXPECT_NE(read_file(log()).find("greylisting is off: " + (tmp_ / "greylist.db").string() + " is a symlink"),
            std::string::npos);
}

TEST_F(PolicydTest, SighupReloadsAndRefusesABadConfiguration) {
  start();
  auto c = connect();
  EXPECT_EQ(c->ask(request("nobody@example.org")), "550 5.1.1 User unknown");
  write_file(config(), config_text("check_recipient = no\n"));
  kill(server_->pid(), SIGHUP);
  std::this_thread::sleep_for(500ms);
  c = connect();
  EXPECT_EQ(c->ask(request("nobody@example.org")), "DUNNO");
  write_file(config(), "[policy]\ngreylist_delay = soon\n");
  kill(server_->pid(), SIGHUP);
  std::this_thread::sleep_for(500ms);
  c = connect();
  EXPECT_EQ(c->ask(request("nobody@example.org")), "DUNNO");  // still the reloaded configuration
  EXPECT_NE(read_file(log()).find("reload refused, keeping the running configuration: " + config().string() +
                                  ":2: key 'greylist_delay' in [policy]: bad value 'soon'"),
            std::string::npos)
      << read_file(log());
}

TEST_F(PolicydTest, CheckConfigNamesTheGreylistDirectory) {
  write_file(config(),
             config_text("greylist = yes\n")
                 .replace(config_text("greylist = yes\n").find((tmp_ / "greylist.db").string()),
                          (tmp_ / "greylist.db").string().size(), (tmp_ / "no-such-dir" / "greylist.db").string()));
  const auto r = run({LETTERBOX_POLICYD_PATH, "-c", config().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, 78) << r.output;
  EXPECT_NE(r.output.find("key 'greylist_db' in [policy]: " + (tmp_ / "no-such-dir").string()), std::string::npos)
      << r.output;
}

TEST_F(PolicydTest, MetricsCountDecisionsAndGreylistEntries) {
  const int stats_port = free_port();
  start("greylist = yes\n[stats]\npolicy_listen = inet:127.0.0.1:" + std::to_string(stats_port) + "\n");
  {
    auto c = connect();
    EXPECT_EQ(c->ask(request("alice@example.org")), "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds");
    EXPECT_EQ(c->ask(request("nobody@example.org")), "550 5.1.1 User unknown");
    EXPECT_EQ(c->ask(request("someone@elsewhere.test")), "DUNNO");
  }
  std::string m;
  // The greylist store is counted on the pool, a second after the start and every five seconds after.
  EXPECT_TRUE(wait_until(
      [&] {
        m = http_get(stats_port, "/metrics").body;
        return has_sample(m, "letterbox_greylist_entries 1") && has_sample(m, "letterbox_sessions_open 0");
      },
      8s))
      << m;
  EXPECT_TRUE(
      has_sample(m, R"(letterbox_build_info{program="letterbox-policyd",version=")" LETTERBOX_VERSION R"("} 1)"))
      << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_policy_decisions_total{action="DEFER_IF_PERMIT",enhanced="4.7.1"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_policy_decisions_total{action="550",enhanced="5.1.1"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_policy_decisions_total{action="DUNNO",enhanced=""} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_lookups_total{result="found",source="directory"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_lookups_total{result="unknown",source="directory"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, "letterbox_sessions_total 1")) << m;
  const auto lint = run({"promtool", "check", "metrics"}, m);
  EXPECT_EQ(lint.exit_code, 0) << lint.output;
  EXPECT_EQ(http_get(stats_port, "/metricsx").status, 404);
}

TEST_F(PolicydTest, SocketActivationServesThePassedSocketInsteadOfListen) {
  const auto passed = tmp_ / "activated.sock";
  write_file(config(), config_text());
  server_ = std::make_unique<Background>(std::vector<std::string>{"systemd-socket-activate", "-l", passed.string(),
                                                                  LETTERBOX_POLICYD_PATH, "-c", config().string(),
                                                                  "--foreground"});
  ASSERT_TRUE(wait_for_unix_listener(passed));
  {
    PolicyClient c(passed);  // the first connection starts the daemon, with the socket as descriptor 3
    EXPECT_EQ(c.ask(request("nobody@example.org")), "550 5.1.1 User unknown");
    EXPECT_EQ(c.ask(request("alice@example.org")), "DUNNO");
  }
  EXPECT_FALSE(std::filesystem::exists(socket_path()));
  EXPECT_EQ(server_->signal_and_wait(SIGTERM), 0);
  EXPECT_TRUE(std::filesystem::is_socket(std::filesystem::symlink_status(passed)));
}

namespace {

// A triplet of its own for each `n`: greylisted on first sight. The number is spelled in letters, as the
// greylist makes every run of digits in a sender one '#' (VERP and bounce counters).
std::string new_triplet(const std::string& tag, int n) {
  std::string spelled;
  do {
    spelled += static_cast<char>('a' + n % 26);
    n /= 26;
  } while (n > 0);
  return request("alice@example.org", "sender=" + tag + "." + spelled + "@sender.test\n");
}

}  // namespace

// [policy] greylist_db on a 64 KiB tmpfs. A store of 1,000,000 entries (64 MB) cannot be reserved there:
// greylisting is off (one log line) and everything else is answered. One of 64 entries fits, is reserved
// whole, and takes new triplets after the filesystem fills up. (Before the reservation, every new triplet
// written to an unbacked page killed the service with SIGBUS, again after each restart.)
TEST_F(PolicydTest, GreylistStoreOnAFullTmpfsNeverKillsTheService) {
  if (!started_as_root()) GTEST_SKIP() << "needs root to mount a tmpfs";
  mount_tmpfs("64k", tmp_ / "lib");
  greylist_db_ = tmp_ / "lib" / "greylist.db";
  start("greylist = yes\ngreylist_delay = 1h\n");
  auto c = connect();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(c->ask(new_triplet("big", i)), "DUNNO") << i;
  EXPECT_EQ(c->ask(request("nobody@example.org")), "550 5.1.1 User unknown");
  EXPECT_TRUE(process_running(server_->pid()));
  EXPECT_EQ(occurrences(read_file(log()), "greylisting is off: cannot reserve"), 1U) << read_file(log());
  server_->stop();
  std::filesystem::remove(greylist_db_);

  start("greylist = yes\ngreylist_delay = 1h\ngreylist_max_entries = 64\n");
  c = connect();
  EXPECT_EQ(c->ask(new_triplet("small", 0)), "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 3600 seconds");
  fill_filesystem(tmp_ / "lib");
  for (int i = 1; i < 200; ++i) {
    EXPECT_EQ(c->ask(new_triplet("small", i)), "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 3600 seconds") << i;
  }
  std::this_thread::sleep_for(1500ms);  // a flush to the full filesystem
  EXPECT_EQ(c->ask(request("nobody@example.org")), "550 5.1.1 User unknown");
  EXPECT_TRUE(process_running(server_->pid()));
}

// An administrator's `: > greylist.db` under the running service, with nothing asked meanwhile: the
// flush a second later notices without touching the mapping, greylisting is off (logged once, every
// other answer as before), and within the retry interval (10 s) the store is initialised again and
// greylisting is back. (Before: SIGBUS within 5 s, without any traffic.)
TEST_F(PolicydTest, GreylistStoreTruncatedUnderTheServiceIsDroppedThenTakenBack) {
  const int stats_port = free_port();
  start("greylist = yes\ngreylist_delay = 1h\n[stats]\npolicy_listen = inet:127.0.0.1:" + std::to_string(stats_port) +
        "\n");
  auto c = connect();
  EXPECT_EQ(c->ask(new_triplet("t", 0)), "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 3600 seconds");
  const auto size = std::filesystem::file_size(greylist_db_);
  std::filesystem::resize_file(greylist_db_, 0);
  std::this_thread::sleep_for(6s);  // the flush and the metrics' count, every 1 s and 5 s
  EXPECT_TRUE(process_running(server_->pid()));
  EXPECT_EQ(occurrences(read_file(log()), "shrank, or was deleted or replaced, while in use"), 1U) << read_file(log());
  EXPECT_EQ(c->ask(request("nobody@example.org")), "550 5.1.1 User unknown");
  EXPECT_TRUE(has_sample(http_get(stats_port, "/metrics").body, "letterbox_sessions_open 1"));
  int n = 1;
  EXPECT_TRUE(wait_until(
      [&] { return c->ask(new_triplet("t", n++)) == "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 3600 seconds"; },
      15s))
      << read_file(log());
  EXPECT_EQ(std::filesystem::file_size(greylist_db_), size);
  EXPECT_EQ(occurrences(read_file(log()), "opened again; greylisting is on"), 1U) << read_file(log());
}

// SIGHUP every 50 ms (a reload and a log reopen each) while four clients ask: the service never stops
// (under ThreadSanitizer, no logger is freed while a session thread formats a line) and every answer is
// the right one.
TEST_F(PolicydTest, SighupEveryFiftyMillisecondsWhileFourClientsAsk) {
  start("greylist = yes\ngreylist_delay = 1h\n");
  std::atomic<bool> stop{false};
  std::atomic<int> asked{0};
  std::mutex mutex;
  std::vector<std::string> wrong;
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      try {
        auto c = connect();
        for (int i = 0; !stop; ++i) {
          const auto deferred = c->ask(new_triplet(std::string(1, static_cast<char>('k' + t)), i));
          const auto unknown = c->ask(request("nobody@example.org"));
          asked += 2;
          if (deferred != "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 3600 seconds" ||
              unknown != "550 5.1.1 User unknown") {
            std::lock_guard lock(mutex);
            wrong.push_back(deferred + " / " + unknown);
            return;
          }
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        wrong.push_back(e.what());
      }
    });
  }
  int sent = 0;
  for (const auto start = std::chrono::steady_clock::now(); std::chrono::steady_clock::now() - start < 3s; ++sent) {
    ::kill(server_->pid(), SIGHUP);
    if (sent == 30) std::filesystem::rename(log(), tmp_ / "policyd.log.1");  // logrotate's move
    std::this_thread::sleep_for(50ms);
  }
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_TRUE(wrong.empty()) << wrong.front();
  EXPECT_GE(sent, 40);
  EXPECT_GT(asked.load(), 100);
  EXPECT_TRUE(process_running(server_->pid()));
  EXPECT_TRUE(wait_for_file(log())) << "the log file was not reopened";
  std::printf("%d SIGHUPs while 4 clients asked %d questions\n", sent, asked.load());
}
