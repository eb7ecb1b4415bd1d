// Running letterbox-lmtpd: detaching, signals (SIGTERM, SIGHUP), --check-config, the cache shared with the
// LDA, metrics, socket activation, allow_from, log rotation, overlapping restarts.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sysexits.h>

#include <algorithm>
#include <regex>

#include "lmtpd_fixture.hpp"

using namespace letterbox;
using namespace letterbox::test;
using namespace std::chrono_literals;

// Without --foreground the server detaches: the command returns 0 once the listeners are bound.
TEST_F(LmtpdTest, DetachesWithoutForeground) {
  write_file(config(), config_text());
  const auto r = run({LETTERBOX_LMTPD_PATH, "-c", config().string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(std::filesystem::exists(socket_path()));
  const pid_t daemon = process_with_argument(config().string());
  ASSERT_GT(daemon, 0);
  struct Stopper {
    pid_t pid;
    ~Stopper() { kill(pid, SIGKILL); }
  } stopper{daemon};
  EXPECT_NE(daemon, getppid());
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  c->send(smtp_data(test_message("detached")));
  EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
  EXPECT_EQ(c->command("QUIT"), "221 2.0.0 lmtp.test closing connection");
  ASSERT_EQ(kill(daemon, SIGTERM), 0);
  EXPECT_TRUE(wait_until([&] { return !process_running(daemon); }, 10s));
  EXPECT_EQ(read_mailbox("maildir", alice()), "detached\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
}

TEST_F(LmtpdTest, SigtermTellsIdleSessionsAndExitsZero) {
  start();
  auto c = connect();
  c->command("LHLO client.test");
  EXPECT_EQ(server_->signal_and_wait(SIGTERM), 0);
  server_.reset();
  EXPECT_EQ(c->reply(), "421 4.3.2 lmtp.test Service shutting down, closing connection");
  EXPECT_FALSE(std::filesystem::exists(socket_path()));
}

TEST_F(LmtpdTest, SighupReloadsAndRefusesABadConfiguration) {
  start();
  write_file(config(), config_text("max_recipients = 1\n").replace(config_text().find("max_recipients = 5\n"), 19, ""));
  kill(server_->pid(), SIGHUP);
  std::this_thread::sleep_for(500ms);
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    EXPECT_EQ(c->command("RCPT TO:<ali@example.org>"), "452 4.5.3 Too many recipients");
  }
  write_file(config(), "[server]\nmax_recipients = many\n");
  kill(server_->pid(), SIGHUP);
  std::this_thread::sleep_for(500ms);
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");  // still running
  const auto log = read_file(tmp_ / "lmtpd.log");
  EXPECT_NE(log.find("reload refused, keeping the running configuration: " + config().string() +
                     ":2: key 'max_recipients' in [server]: bad value 'many'"),
            std::string::npos)
      << log;
}

TEST_F(LmtpdTest, CheckConfig) {
  write_file(config(), config_text());
  auto r = run({LETTERBOX_LMTPD_PATH, "-c", config().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("[server]\nlisten = inet:127.0.0.1:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("max_recipients = 5\n"), std::string::npos);
  write_file(config(), "[delivery]\nlock_timeout = never\n");
  r = run({LETTERBOX_LMTPD_PATH, "-c", config().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, EX_CONFIG);
  EXPECT_EQ(r.output, "letterbox-lmtpd: " + config().string() +
                          ":2: key 'lock_timeout' in [delivery]: bad value 'never': expected a duration such as "
                          "500ms, 10s, 5m, 1h or 2d\n");
  // A UNIX socket in a directory that does not exist (a missing /run/letterbox) would stop the start.
  const auto missing = tmp_ / "no-such-dir" / "lmtp.sock";
  write_file(config(), std::regex_replace(config_text(), std::regex("unix:[^\n]*"), "unix:" + missing.string()));
  r = run({LETTERBOX_LMTPD_PATH, "-c", config().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, EX_CONFIG);
  EXPECT_NE(r.output.find("letterbox-lmtpd: error: " + config().string() +
                          ":2: key 'listen' in [server]: the directory of " + missing.string() + " does not exist"),
            std::string::npos)
      << r.output;
  // proxy = yes without host_attribute relays nothing: worth a warning, not a refusal to start.
  write_file(config(),
             std::regex_replace(config_text("proxy = yes\n"), std::regex("host_attribute = letterboxHost\n"), ""));
  r = run({LETTERBOX_LMTPD_PATH, "-c", config().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: " + config().string() +
                          ":7: key 'proxy' in [server]: yes, but [ldap] host_attribute is empty: every mailbox is "
                          "here, none is relayed"),
            std::string::npos)
      << r.output;
}

// Delivery runs the scripts now: --check-config no longer warns that it does not.
TEST_F(LmtpdTest, CheckConfigNoLongerWarnsThatSieveIsNotRunAtDelivery) {
  write_file(config(), config_text() + "\n[sieve]\nenabled = yes\n");
  const auto r = run({LETTERBOX_LMTPD_PATH, "-c", config().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("does not run Sieve scripts"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("in [sieve]"), std::string::npos) << r.output;
}

// letterbox-lmtpd and letterbox-lda on one [ldap] cache_file: what one learns, the other serves, through
// a directory outage.
TEST_F(LmtpdTest, SharesTheDirectoryCacheWithTheLda) {
  const auto cache = tmp_ / "run" / "directory.cache";
  std::filesystem::create_directories(cache.parent_path());
  start_with(std::regex_replace(config_text(), std::regex("\n\\[delivery\\]"),
                                "\ncache_file = " + cache.string() + "\n[delivery]"));
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");  // the server learns
  }
  // The LDA learns bob.
  auto r =
      run_split({LETTERBOX_LDA_PATH, "-c", config().string(), "-a", "bob.builder@example.org"}, test_message("b1"));
  ASSERT_EQ(r.exit_code, EX_OK) << r.err;
  slapd_.stop();
  r = run_split({LETTERBOX_LDA_PATH, "-c", config().string(), "-a", "alice@example.org"}, test_message("a1"));
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<bob.builder@example.org>"), "250 2.1.5 <bob.builder@example.org> OK");
  EXPECT_EQ(c->command("RCPT TO:<nosuchuser@example.org>"),
            "450 4.4.3 <nosuchuser@example.org> Directory unavailable, try again later");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  c->send(smtp_data(test_message("b2")));
  EXPECT_EQ(c->reply(), "250 2.0.0 <bob.builder@example.org> Delivered");
  EXPECT_EQ(read_mailbox("maildir", alice()), "a1\tOK\t<>\talice@example.org\ncount 1\n");
}

TEST_F(LmtpdTest, MetricsCountRealDeliveriesAndTheLdasThroughTheSharedCache) {
  const int stats_port = free_port();
  const auto cache = tmp_ / "run" / "directory.cache";
  std::filesystem::create_directories(cache.parent_path());
  start_with(std::regex_replace(config_text(), std::regex("\n\\[delivery\\]"),
                                "\ncache_file = " + cache.string() + "\n[delivery]") +
             "[stats]\nlisten = inet:127.0.0.1:" + std::to_string(stats_port) + "\n");
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    EXPECT_EQ(c->command("RCPT TO:<nobody@example.org>"), "550 5.1.1 <nobody@example.org> User unknown");
    EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
    c->send(smtp_data(test_message("m1")));
    EXPECT_EQ(c->reply(), "250 2.0.0 <alice@example.org> Delivered");
    EXPECT_EQ(c->command("QUIT"), "221 2.0.0 lmtp.test closing connection");
  }
  EXPECT_EQ(
      run_split({LETTERBOX_LDA_PATH, "-c", config().string(), "-a", "bob.builder@example.org"}, test_message("m2"))
          .exit_code,
      EX_OK);
  EXPECT_EQ(run_split({LETTERBOX_LDA_PATH, "-c", config().string(), "-a", "nobody@example.org"}, test_message("m3"))
                .exit_code,
            EX_NOUSER);

  std::string m;
  // The session's end is counted once the server has noticed it.
  EXPECT_TRUE(wait_until(
      [&] {
        const auto answer = http_get(stats_port, "/metrics");
        m = answer.body;
        return answer.status == 200 && has_sample(m, "letterbox_sessions_open 0");
      },
      5s))
      << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_build_info{program="letterbox-lmtpd",version=")" LETTERBOX_VERSION R"("} 1)"))
      << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_deliveries_total{code="250",enhanced="2.0.0"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_deliveries_total{code="550",enhanced="5.1.1"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_deliveries_total{code="450",enhanced="4.4.3"} 0)")) << m;
  EXPECT_TRUE(has_sample(m, "letterbox_delivery_duration_seconds_count 1")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_lda_deliveries_total{code="250",enhanced="2.0.0"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_lda_deliveries_total{code="550",enhanced="5.1.1"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_lookups_total{result="found",source="directory"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, R"(letterbox_lookups_total{result="unknown",source="directory"} 1)")) << m;
  EXPECT_TRUE(has_sample(m, "letterbox_directory_lookup_duration_seconds_count 2")) << m;
  EXPECT_TRUE(has_sample(m, "letterbox_sessions_total 1")) << m;
  const auto lint = run({"promtool", "check", "metrics"}, m);
  EXPECT_EQ(lint.exit_code, 0) << lint.output;

  EXPECT_EQ(http_get(stats_port, "/").status, 404);
  EXPECT_EQ(http_get(stats_port, "/metrics/").status, 404);
  EXPECT_EQ(http_exchange(stats_port,
                          "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: "
                          "close\r\n\r\nhi")
                .status,
            404);
  EXPECT_EQ(http_exchange(stats_port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status, 404);
  EXPECT_EQ(http_exchange(stats_port, "not http at all\r\n\r\n").status, 0);
  // Several scrapes on one kept-alive connection, as Prometheus does.
  LineClient keep(stats_port);
  keep.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto both = keep.rest();
  EXPECT_TRUE(both.starts_with("HTTP/1.1 200 OK\r\n")) << both.substr(0, 200);
  EXPECT_NE(both.find("HTTP/1.1 404 Not Found\r\n"), std::string::npos);
  // Only the configured address serves it.
  EXPECT_TRUE(port_accepts(stats_port));
  const auto wildcard = run({"python3", "-c",
                             "import socket,sys\ns=socket.socket()\ns.settimeout(2)\n"
                             "sys.exit(s.connect_ex(('127.0.0.2'," +
                                 std::to_string(stats_port) + ")) == 0)"});
  EXPECT_EQ(wildcard.exit_code, 0) << "something answers on 127.0.0.2";
}

TEST_F(LmtpdTest, AMetricsAddressInUseIsLoggedAndMailFlows) {
  const int stats_port = port_;  // the LMTP listener holds it
  start_with(config_text() + "[stats]\nlisten = inet:127.0.0.1:" + std::to_string(stats_port) + "\n");
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_NE(read_file(tmp_ / "lmtpd.log")
                .find("metrics are off: cannot listen on inet:127.0.0.1:" + std::to_string(stats_port)),
            std::string::npos);
}

TEST_F(LmtpdTest, SocketActivationServesThePassedSocketInsteadOfListen) {
  const auto passed = tmp_ / "activated.sock";
  write_file(config(), config_text());
  server_ = std::make_unique<Background>(std::vector<std::string>{
      "systemd-socket-activate", "-l", passed.string(), LETTERBOX_LMTPD_PATH, "-c", config().string(), "--foreground"});
  ASSERT_TRUE(wait_for_unix_listener(passed));
  {
    // systemd-socket-activate starts the daemon at this first connection, with the socket as descriptor 3.
    LineClient c(passed);
    EXPECT_EQ(c.reply(), "220 lmtp.test LMTP Letterbox ready");
    c.command("LHLO client.test");
    EXPECT_EQ(c.command("MAIL FROM:<sender@client.test>"), "250 2.1.0 Sender OK");
    EXPECT_EQ(c.command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    EXPECT_EQ(c.command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
    c.send(smtp_data(test_message("s1")));
    EXPECT_EQ(c.reply(), "250 2.0.0 <alice@example.org> Delivered");
  }
  EXPECT_EQ(read_mailbox("maildir", alice()), "s1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  // The configured listeners were not made, and the passed socket is systemd's to remove, not ours.
  EXPECT_FALSE(std::filesystem::exists(socket_path()));
  EXPECT_FALSE(port_accepts(port_));
  EXPECT_NE(read_file(tmp_ / "lmtpd.log")
                .find("warning: serving the sockets systemd passed; [server] listen is not used: inet:127.0.0.1:" +
                      std::to_string(port_) + " unix:" + socket_path().string() + "\n"),
            std::string::npos)
      << read_file(tmp_ / "lmtpd.log");
  EXPECT_EQ(server_->signal_and_wait(SIGTERM), 0);
  EXPECT_TRUE(std::filesystem::is_socket(std::filesystem::symlink_status(passed)));
}

TEST_F(LmtpdTest, AllowFromRefusesOtherTcpPeersAndAlwaysServesTheUnixSocket) {
  start("allow_from = 127.0.0.2/32 192.0.2.0/24\n");
  {
    LineClient outside(port_);  // from 127.0.0.1
    EXPECT_EQ(outside.reply(), "554 5.7.1 Access denied");
    EXPECT_TRUE(outside.closed_by_peer());
  }
  {
    LineClient inside(port_, "127.0.0.2");
    EXPECT_EQ(inside.reply(), "220 lmtp.test LMTP Letterbox ready");
    inside.command("LHLO client.test");
    EXPECT_EQ(inside.command("MAIL FROM:<sender@client.test>"), "250 2.1.0 Sender OK");
    EXPECT_EQ(inside.command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
    EXPECT_EQ(inside.command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
    inside.send(smtp_data(test_message("f1")));
    EXPECT_EQ(inside.reply(), "250 2.0.0 <alice@example.org> Delivered");
  }
  LineClient local(socket_path());
  EXPECT_EQ(local.reply(), "220 lmtp.test LMTP Letterbox ready");
  EXPECT_EQ(read_mailbox("maildir", alice()), "f1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  EXPECT_NE(read_file(tmp_ / "lmtpd.log").find("from 127.0.0.1 refused: not in [server] allow_from"),
            std::string::npos);
}

TEST_F(LmtpdTest, LogrotateWithSighupMovesTheLogAndTheDaemonWritesANewOne) {
  start();
  const auto log = tmp_ / "lmtpd.log";
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<nobody@example.org>"), "550 5.1.1 <nobody@example.org> User unknown");
  }
  // The shipped /etc/logrotate.d/letterbox, with the SIGHUP sent to this server instead of through systemd.
  auto rules = read_file(std::filesystem::path(LETTERBOX_SOURCE_DIR) / "etc" / "logrotate.d" / "letterbox");
  rules = std::regex_replace(rules, std::regex("/var/log/letterbox/\\*\\.log"), log.string());
  rules = std::regex_replace(rules, std::regex("\n\tsu [^\n]*\n\tcreate [^\n]*\n"), "\n\tcreate\n");
  rules = std::regex_replace(rules, std::regex("systemctl kill [^\n]*"), "kill -HUP " + std::to_string(server_->pid()));
  write_file(tmp_ / "logrotate.conf", rules);
  const auto rotated =
      run({"logrotate", "-f", "-s", (tmp_ / "logrotate.state").string(), (tmp_ / "logrotate.conf").string()});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.output << rules;
  ASSERT_TRUE(std::filesystem::exists(tmp_ / "lmtpd.log.1"));
  EXPECT_NE(read_file(tmp_ / "lmtpd.log.1").find("to=<nobody@example.org>"), std::string::npos);
  {
    auto c = transaction();
    EXPECT_EQ(c->command("RCPT TO:<nobody2@example.org>"), "550 5.1.1 <nobody2@example.org> User unknown");
  }
  EXPECT_TRUE(wait_until([&] { return read_file(log).find("to=<nobody2@example.org>") != std::string::npos; }, 5s))
      << read_file(log);
  EXPECT_EQ(read_file(tmp_ / "lmtpd.log.1").find("to=<nobody2@example.org>"), std::string::npos);
}

TEST_F(LmtpdTest, AnOverlappingRestartKeepsTheNewServersSocket) {
  // systemd (or an administrator) may start the new server before the old one has exited: the old
  // one's shutdown must not remove the socket the new one now serves.
  start();
  struct stat first {};
  ASSERT_EQ(::lstat(socket_path().c_str(), &first), 0);
  const auto second_config = tmp_ / "second.conf";
  auto text = std::regex_replace(config_text(), std::regex("inet:127\\.0\\.0\\.1:[0-9]+"),
                                 "inet:127.0.0.1:" + std::to_string(free_port()));
  write_file(second_config, std::regex_replace(text, std::regex("hostname = lmtp\\.test"), "hostname = second.test"));
  Background second({LETTERBOX_LMTPD_PATH, "-c", second_config.string(), "--foreground"});
  struct stat now {};
  for (int i = 0; i < 200; ++i) {
    if (::lstat(socket_path().c_str(), &now) == 0 && now.st_ino != first.st_ino) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_NE(now.st_ino, first.st_ino) << read_file(tmp_ / "lmtpd.log");
  server_->stop();
  server_.reset();
  ASSERT_TRUE(std::filesystem::exists(socket_path()));
  LineClient c(socket_path());
  EXPECT_EQ(c.reply(), "220 second.test LMTP Letterbox ready");
  second.stop();
  EXPECT_FALSE(std::filesystem::exists(socket_path()));
}
