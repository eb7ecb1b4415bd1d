// letterbox-lda as Postfix runs it: a real process, a real slapd, real lock holders. Every row of
// the table in letterbox-lda(8), EXIT STATUS: the exit code, the stderr line's start, and the mailbox bytes.
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <thread>

#include "slapd.hpp"
#include "test_support.hpp"

using namespace letterbox;
using namespace letterbox::test;

namespace {

// The 1-based number of the first line of `text` that starts with `prefix`.
std::size_t line_of(const std::string& text, const std::string& prefix) {
  std::size_t line = 1;
  for (std::size_t at = 0; at < text.size(); ++line) {
    if (text.compare(at, prefix.size(), prefix) == 0) return line;
    const auto nl = text.find('\n', at);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return 0;
}

class LdaTest : public ::testing::Test {
 protected:
  LdaTest() {
    std::filesystem::create_directories(mail_root());
    write_config();
  }
  ~LdaTest() override {
    if (mounted_) {
      RootScope root;
      umount2(mail_root().c_str(), MNT_DETACH);
    }
  }

  std::filesystem::path mail_root() const { return tmp_ / "mail"; }
  std::filesystem::path config() const { return tmp_ / "letterbox.conf"; }
  std::filesystem::path alice_maildir() const { return mail_root() / "example.org" / "alice" / "Maildir"; }
  std::filesystem::path bob_mbox() const { return mail_root() / "example.org" / "bob.mbox"; }

  void write_config(const std::string& extra_delivery = "", const std::string& extra_server = "") {
    write_file(config(), "[server]\nuser = nobody\ngroup = nogroup\nhostname = example.org\nmax_message_size = 200M\n" +
                             extra_server + slapd_.config_section("host_attribute = letterboxHost\n") +
                             "[delivery]\nmail_root = " + mail_root().string() + "\nlock_timeout = 1s\n" +
                             extra_delivery + "[log]\ntarget = " + (tmp_ / "letterbox.log").string() + "\n");
  }

  std::filesystem::path cache_file() const { return tmp_ / "run" / "directory.cache"; }
  // [ldap] cache_file in a directory of its own, as systemd's RuntimeDirectory would make it.
  void use_shared_cache() {
    std::filesystem::create_directories(cache_file().parent_path());
    write_file(config(),
               std::regex_replace(read_file(config()), std::regex("\n\\[delivery\\]"),
                                  "\ncache_file = " + cache_file().string() + "\ncache_entries = 1000\n[delivery]"));
  }

  SplitRunResult lda(std::vector<std::string> args, const std::string& message) {
    std::vector<std::string> argv{LETTERBOX_LDA_PATH, "-c", config().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_split(argv, message);
  }

  static std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    if (std::filesystem::exists(dir)) {
      for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path());
    }
    return out;
  }

  // Every mailbox under mail_root, as bytes: "nothing changed" is checked against all of them.
  std::string snapshot() const {
    std::string all;
    for (const auto& e : std::filesystem::recursive_directory_iterator(mail_root())) {
      if (e.is_regular_file() && e.path().filename() != "letterbox.lock") {
        all += e.path().string() + "\n" + read_file(e.path());
      }
    }
    return all;
  }

  void expect_result(const SplitRunResult& r, int exit_code, const std::string& stderr_start) {
    EXPECT_EQ(r.exit_code, exit_code) << r.err;
    EXPECT_TRUE(r.err.starts_with(stderr_start)) << "stderr: " << r.err;
  }

  Slapd slapd_;
  TempDir tmp_;
  bool mounted_ = false;
};

}  // namespace

TEST_F(LdaTest, DeliversIntoTheMaildir) {
  const auto r = lda({"-f", "sender@example.org", "-a", "alice@example.org"}, test_message("m1"));
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(r.err, "");
  const auto fresh = files_in(alice_maildir() / "new");
  ASSERT_EQ(fresh.size(), 1U);
  EXPECT_EQ(read_file(fresh[0]),
            "Return-Path: <sender@example.org>\nDelivered-To: alice@example.org\n" + test_message("m1"));
  EXPECT_EQ(read_mailbox("maildir", alice_maildir()), "m1\tOK\t<sender@example.org>\talice@example.org\ncount 1\n");
  // One log line for the delivery, with the fields an administrator greps for.
  const auto log = read_file(tmp_ / "letterbox.log");
  EXPECT_NE(log.find("from=<sender@example.org> to=<alice@example.org> mailbox=example.org/alice/Maildir size="),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("result=\"250 2.0.0 <alice@example.org> Delivered\""), std::string::npos) << log;
}

TEST_F(LdaTest, DeliversIntoTheMboxWithAFromLine) {
  const auto r = lda({"-f", "sender@example.org", "-a", "Bob.Builder@example.org"}, test_message("m1"));
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  const auto bytes = read_file(bob_mbox());
  EXPECT_TRUE(bytes.starts_with("From sender@example.org ")) << bytes;
  EXPECT_EQ(read_mailbox("mbox", bob_mbox()), "m1\tOK\t<sender@example.org>\tBob.Builder@example.org\ncount 1\n");
}

TEST_F(LdaTest, UnknownUserIs67) {
  expect_result(lda({"-a", "nosuchuser@example.org"}, test_message("m1")), EX_NOUSER,
                "5.1.1 <nosuchuser@example.org> User unknown");
  EXPECT_EQ(snapshot(), "");
}

TEST_F(LdaTest, DisabledIs77AndPendingIs75) {
  expect_result(lda({"-a", "carol@example.org"}, test_message("m1")), EX_NOPERM,
                "5.2.1 <carol@example.org> Mailbox disabled");
  expect_result(lda({"-a", "dave@example.org"}, test_message("m1")), EX_TEMPFAIL,
                "4.2.1 <dave@example.org> Mailbox temporarily unavailable");
  EXPECT_EQ(snapshot(), "");
}

TEST_F(LdaTest, AMailboxOnAnotherHostIs75AndNamesTheHost) {
  expect_result(lda({"-a", "frank@example.org"}, test_message("m1")), EX_TEMPFAIL,
                "4.4.4 <frank@example.org> Mailbox is on host mx2.test");
  const auto r = lda({"--lookup", "frank@example.org"}, "");
  EXPECT_EQ(r.exit_code, EX_TEMPFAIL);
  EXPECT_NE(r.out.find("reply:    450 4.4.4 <frank@example.org> Mailbox is on host mx2.test\n"), std::string::npos)
      << r.out;
  EXPECT_EQ(snapshot(), "");
}

TEST_F(LdaTest, DirectoryDownIs75NeverUnknown) {
  slapd_.stop();
  expect_result(lda({"-a", "nosuchuser@example.org"}, test_message("m1")), EX_TEMPFAIL,
                "4.4.3 <nosuchuser@example.org> Directory unavailable, try again later");
  expect_result(lda({"-a", "alice@example.org"}, test_message("m1")), EX_TEMPFAIL,
                "4.4.3 <alice@example.org> Directory unavailable, try again later");
  EXPECT_EQ(snapshot(), "");
}

TEST_F(LdaTest, DotlockedMboxIs75AndUnchanged) {
  ASSERT_EQ(lda({"-a", "bob.builder@example.org"}, test_message("seed")).exit_code, EX_OK);
  const auto before = snapshot();
  ASSERT_EQ(run({"dotlockfile", "-l", "-r", "0", bob_mbox().string() + ".lock"}).exit_code, 0);
  expect_result(lda({"-a", "bob.builder@example.org"}, test_message("m1")), EX_TEMPFAIL,
                "4.2.0 <bob.builder@example.org> Mailbox locked, try again later");
  std::filesystem::remove(bob_mbox().string() + ".lock");
  EXPECT_TRUE(snapshot() == before) << "the mailboxes changed";
}

TEST_F(LdaTest, FullMailboxIs75Or77With552) {
  std::filesystem::create_directories(bob_mbox().parent_path());
  write_file(bob_mbox(), "From x@y Thu Jan  1 00:00:00 2026\nSubject: big\n\n" + std::string(1048500, 'z') + "\n\n");
  const auto before = snapshot();
  expect_result(lda({"-a", "bob.builder@example.org"}, test_message("m1")), EX_TEMPFAIL,
                "4.2.2 <bob.builder@example.org> Mailbox full");
  write_config("quota_full_reply = 552\n");
  expect_result(lda({"-a", "bob.builder@example.org"}, test_message("m1")), EX_NOPERM,
                "5.2.2 <bob.builder@example.org> Mailbox full");
  EXPECT_TRUE(snapshot() == before) << "the mailboxes changed";
}

TEST_F(LdaTest, DiskFullIs75With431) {
  if (!started_as_root()) GTEST_SKIP() << "needs root to mount a tmpfs";
  {
    RootScope root;
    ASSERT_EQ(mount("tmpfs", mail_root().c_str(), "tmpfs", 0, "size=256k,mode=0777"), 0);
    mounted_ = true;
  }
  ASSERT_EQ(lda({"-a", "alice@example.org"}, test_message("seed")).exit_code, EX_OK);
  const auto before = snapshot();
  std::string big = test_message("big");
  big.insert(big.find("\n\n") + 2, std::string(512 * 1024, 'x') + "\n");
  expect_result(lda({"-a", "alice@example.org"}, big), EX_TEMPFAIL,
                "4.3.1 <alice@example.org> Insufficient system storage");
  EXPECT_TRUE(snapshot() == before) << "the mailboxes changed";
}

TEST_F(LdaTest, LocalErrorsAre75With430) {
  // mallory's mailbox attribute points outside mail_root; twin@ has two entries.
  expect_result(lda({"-a", "mallory@example.org"}, test_message("m1")), EX_TEMPFAIL,
                "4.3.0 <mallory@example.org> Local delivery error");
  expect_result(lda({"-a", "twin@example.org"}, test_message("m1")), EX_TEMPFAIL,
                "4.3.0 <twin@example.org> Local delivery error");
  EXPECT_EQ(snapshot(), "");
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "etc"));
}

TEST_F(LdaTest, TooBigIs69) {
  write_config("", "");
  write_file(config(),
             std::regex_replace(read_file(config()), std::regex("max_message_size = 200M"), "max_message_size = 1K"));
  expect_result(lda({"-a", "alice@example.org"}, test_message("m1") + std::string(2000, 'x') + "\n"), EX_UNAVAILABLE,
                "5.3.4 Message too big");
  EXPECT_EQ(snapshot(), "");
}

TEST_F(LdaTest, BadAddressIs64AndBadConfigurationIs78) {
  expect_result(lda({"-a", "alice)(uid=*@example.org"}, test_message("m1")), EX_USAGE,
                "5.1.3 <alice)(uid=*@example.org> Bad recipient address syntax");
  expect_result(lda({}, test_message("m1")), EX_USAGE, "5.3.0 letterbox-lda: no recipient");
  expect_result(lda({"--bogus", "-a", "alice@example.org"}, test_message("m1")), EX_USAGE,
                "5.3.0 letterbox-lda: unrecognised option '--bogus'");
  expect_result(lda({"-a", "alice@example.org", "--address", "bob@example.org"}, test_message("m1")), EX_USAGE,
                "5.3.0 letterbox-lda: option '-a/--address' given more than once");
  expect_result(lda({"-a"}, test_message("m1")), EX_USAGE, "5.3.0 letterbox-lda: option '-a' needs a value");
  EXPECT_EQ(snapshot(), "");
  write_file(config(), "[delivery]\nmail_root = /srv/mail\nlock_timout = 1s\n");
  const auto r = lda({"-a", "alice@example.org"}, test_message("m1"));
  expect_result(r, EX_CONFIG,
                "4.3.5 letterbox-lda: " + config().string() + ":3: unknown key 'lock_timout' in [delivery]");
}

// A new administrator's first command, run as root before the log file exists, must not leave behind a
// log file that the delivery user cannot open (every delivery would defer with "Permission denied").
TEST_F(LdaTest, LookupAsRootLeavesNoLogFileThatStopsDeliveries) {
  if (!started_as_root()) GTEST_SKIP() << "needs root";
  const auto log = tmp_ / "letterbox.log";
  std::filesystem::remove(log);
  SplitRunResult r;
  {
    RootScope root;
    r = lda({"--lookup", "alice@example.org"}, "");
  }
  ASSERT_EQ(r.exit_code, EX_OK) << r.out << r.err;
  EXPECT_FALSE(std::filesystem::exists(log)) << "an interactive --lookup created the delivery log";
  r = lda({"-a", "alice@example.org"}, test_message("m1"));
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(r.err, "");
  struct stat st {};
  ASSERT_EQ(stat(log.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, getpwnam("nobody")->pw_uid);
}

// The trap itself, however it came about: a log file the delivery user cannot write. Mail still goes in.
TEST_F(LdaTest, AnUnwritableLogFileNeverStopsADelivery) {
  const auto log = tmp_ / "letterbox.log";
  write_file(log, "");
  std::filesystem::permissions(log, std::filesystem::perms::owner_read);  // 0400: not even its owner writes
  if (started_as_root()) {
    RootScope root;
    ASSERT_EQ(chown(log.c_str(), 0, 0), 0);
  }
  const auto r = lda({"-f", "sender@example.org", "-a", "alice@example.org"}, test_message("m1"));
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(read_mailbox("maildir", alice_maildir()), "m1\tOK\t<sender@example.org>\talice@example.org\ncount 1\n");
  // --check-config names the trap before it bites.
  const auto check = lda({"--check-config"}, "");
  EXPECT_EQ(check.exit_code, EX_CONFIG);
  EXPECT_NE(check.err.find("letterbox-lda: error: " + config().string() + ":" +
                           std::to_string(line_of(read_file(config()), "target =")) +
                           ": key 'target' in [log]: " + log.string() + " is not writable by user nobody"),
            std::string::npos)
      << check.err;
}

TEST_F(LdaTest, CheckConfigPassesAGoodFileAndPrintsTheSettings) {
  std::filesystem::permissions(slapd_.password_file(), std::filesystem::perms::owner_read);
  const auto r = lda({"--check-config"}, "");
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("[delivery]\nmail_root = " + mail_root().string() + "\n"), std::string::npos) << r.out;
}

// Each of these parses, and each would make every delivery defer: --check-config names file, line and key.
TEST_F(LdaTest, CheckConfigCatchesWhatWouldDeferEveryDelivery) {
  const auto original = read_file(config());
  const auto check = [&](const std::string& text, const std::string& key_line, const std::string& expected) {
    write_file(config(), text);
    const auto r = lda({"--check-config"}, "");
    EXPECT_EQ(r.exit_code, EX_CONFIG) << r.err;
    const auto where = key_line.empty() ? config().string() + ": "
                                        : config().string() + ":" + std::to_string(line_of(text, key_line)) + ": ";
    EXPECT_NE(r.err.find("letterbox-lda: error: " + where + expected), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "") << "no effective settings are printed for a configuration with errors";
  };
  check(std::regex_replace(original, std::regex("\nbase = [^\n]*"), "\nbase ="),
        "base =", "key 'base' in [ldap]: empty, but the filter");
  check(std::regex_replace(original, std::regex("\nbase = [^\n]*"), ""), "",
        "key 'base' in [ldap] (not set: the default): empty");
  check(std::regex_replace(original, std::regex("mail_root = [^\n]*"), "mail_root = " + (tmp_ / "nowhere").string()),
        "mail_root =", "key 'mail_root' in [delivery]: " + (tmp_ / "nowhere").string() + ": No such file or directory");
  const auto locked = tmp_ / "locked";
  std::filesystem::create_directory(locked);
  std::filesystem::permissions(locked, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  if (started_as_root()) {
    RootScope root;
    ASSERT_EQ(chown(locked.c_str(), 0, 0), 0);
  }
  check(std::regex_replace(original, std::regex("mail_root = [^\n]*"), "mail_root = " + locked.string()),
        "mail_root =", "key 'mail_root' in [delivery]: " + locked.string() + " is not writable by user nobody");
  check(std::regex_replace(original, std::regex("target = [^\n]*"), "target = " + (locked / "logs/x.log").string()),
        "target =", "key 'target' in [log]: " + locked.string() + " is not writable by user nobody");
  const auto password = tmp_ / "password";
  write_file(password, "secret\n");
  std::filesystem::permissions(password, std::filesystem::perms::none);
  if (started_as_root()) {
    RootScope root;
    ASSERT_EQ(chown(password.c_str(), 0, 0), 0);
  }
  check(std::regex_replace(original, std::regex("bind_password_file = [^\n]*"),
                           "bind_password_file = " + password.string()),
        "bind_password_file =",
        "key 'bind_password_file' in [ldap]: " + password.string() + " is not readable by user nobody");
}

TEST_F(LdaTest, CheckConfigWarnsAboutFilesOthersCanWrite) {
  std::filesystem::permissions(config(), std::filesystem::perms::others_write, std::filesystem::perm_options::add);
  const auto r = lda({"--check-config"}, "");
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;  // a warning, not an error: mail still flows
  EXPECT_NE(
      r.err.find("letterbox-lda: warning: " + config().string() + ": the configuration file is writable by any user"),
      std::string::npos)
      << r.err;
  std::filesystem::permissions(slapd_.password_file(), std::filesystem::perms::all);  // 0777
  const auto w = lda({"--check-config"}, "");
  EXPECT_EQ(w.exit_code, EX_OK) << w.err;
  const auto where = "letterbox-lda: warning: " + config().string() + ":" +
                     std::to_string(line_of(read_file(config()), "bind_password_file =")) +
                     ": key 'bind_password_file' in [ldap]: " + slapd_.password_file().string();
  EXPECT_NE(w.err.find(where + " is writable by any user\n"), std::string::npos) << w.err;
  EXPECT_NE(w.err.find(where + " is readable by any user\n"), std::string::npos) << w.err;
}

TEST_F(LdaTest, StdinAndPathGiveIdenticalBytes) {
  const std::string message = "From sender@example.org Tue Nov 24 10:00:00 2026\r\n" +
                              std::regex_replace(test_message("m1"), std::regex("\n"), "\r\n");
  write_file(tmp_ / "message.eml", message);
  ASSERT_EQ(lda({"-a", "alice@example.org"}, message).exit_code, EX_OK);
  ASSERT_EQ(lda({"-a", "alice@example.org", "-p", (tmp_ / "message.eml").string()}, "").exit_code, EX_OK);
  const auto fresh = files_in(alice_maildir() / "new");
  ASSERT_EQ(fresh.size(), 2U);
  EXPECT_EQ(read_file(fresh[0]), read_file(fresh[1]));
  // The From_ line gave the sender and is gone; CRLF became LF.
  EXPECT_EQ(read_file(fresh[0]),
            "Return-Path: <sender@example.org>\nDelivered-To: alice@example.org\n" + test_message("m1"));
}

TEST_F(LdaTest, MessageWithoutHeaderBodySeparatorIsDeliveredUnchanged) {
  const std::string odd = "just a line without any header\nand another";
  ASSERT_EQ(lda({"-f", "", "-a", "alice@example.org"}, odd).exit_code, EX_OK);
  const auto fresh = files_in(alice_maildir() / "new");
  ASSERT_EQ(fresh.size(), 1U);
  EXPECT_EQ(read_file(fresh[0]), "Return-Path: <>\nDelivered-To: alice@example.org\n" + odd);
}

TEST_F(LdaTest, DestinationUserAndFolder) {
  std::filesystem::create_directories(alice_maildir() / ".Lists");
  ASSERT_EQ(lda({"-d", "alice", "-m", "Lists"}, test_message("m1")).exit_code, EX_OK);
  EXPECT_EQ(files_in(alice_maildir() / ".Lists" / "new").size(), 1U);
  ASSERT_EQ(lda({"-a", "alice+Lists@example.org", "-m", ""}, test_message("m2")).exit_code, EX_OK);
  EXPECT_EQ(files_in(alice_maildir() / "new").size(), 1U);  // -m "" means the inbox
  ASSERT_EQ(lda({"-a", "alice+Lists@example.org"}, test_message("m3")).exit_code, EX_OK);
  EXPECT_EQ(files_in(alice_maildir() / ".Lists" / "new").size(), 2U);
}

TEST_F(LdaTest, HundredMebibytesWithSmallMemory) {
  // Written in pieces: a forked child's peak RSS counts what it inherited, so this process stays small.
  std::uint64_t size = 0;
  {
    std::ofstream out(tmp_ / "big.eml", std::ios::binary);
    const std::string head = "Subject: big\n\n";
    out << head;
    size += head.size();
    std::string block;
    for (int i = 0; i < 1000; ++i)
      block += "filler line " + std::to_string(i) + " .........................................\n";
    while (size < 100ULL * 1024 * 1024) {
      out << block;
      size += block.size();
    }
  }
  const auto r = lda({"-a", "alice@example.org", "-p", (tmp_ / "big.eml").string()}, "");
  ASSERT_EQ(r.exit_code, EX_OK) << r.err;
#ifndef LETTERBOX_SANITIZED
  EXPECT_LT(r.max_rss_kib, 32 * 1024) << "peak RSS " << r.max_rss_kib << " KiB";
#else
  // AddressSanitizer's shadow memory and quarantine are not the program's footprint: checked in the
  // normal build.
#endif
  const auto fresh = files_in(alice_maildir() / "new");
  ASSERT_EQ(fresh.size(), 1U);
  EXPECT_EQ(std::filesystem::file_size(fresh[0]),
            size + std::string("Return-Path: <>\nDelivered-To: alice@example.org\n").size());
  RecordProperty("peak_rss_kib", std::to_string(r.max_rss_kib));
  std::printf("letterbox-lda peak RSS for a 100 MiB message: %ld KiB\n", r.max_rss_kib);
}

TEST_F(LdaTest, StartedAsRootItDeliversAsTheConfiguredUser) {
  if (!started_as_root()) GTEST_SKIP() << "needs root";
  SplitRunResult r;
  {
    RootScope root;
    r = lda({"-a", "alice@example.org"}, test_message("m1"));
  }
  ASSERT_EQ(r.exit_code, EX_OK) << r.err;
  const auto fresh = files_in(alice_maildir() / "new");
  ASSERT_EQ(fresh.size(), 1U);
  struct stat st {};
  ASSERT_EQ(stat(fresh[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, getpwnam("nobody")->pw_uid);
  write_file(config(), std::regex_replace(read_file(config()), std::regex("user = nobody\n"), "user =\n"));
  {
    RootScope root;
    r = lda({"-a", "alice@example.org"}, test_message("m2"));
  }
  expect_result(r, EX_CONFIG, "4.3.5 letterbox-lda: started as root, but [server] user is empty");
}

TEST_F(LdaTest, LookupReportsWhatTheDirectorySays) {
  auto r = lda({"--lookup", "Bob.Builder+x@example.org"}, "");
  EXPECT_EQ(r.exit_code, EX_OK) << r.out << r.err;
  EXPECT_NE(r.out.find("result:   found\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mailbox:  " + bob_mbox().string() + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("format:   mbox\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("quota:    1048576 bytes\n"), std::string::npos) << r.out;
  r = lda({"--lookup", "nosuchuser@example.org"}, "");
  EXPECT_EQ(r.exit_code, EX_NOUSER);
  EXPECT_NE(r.out.find("result:   unknown\n"), std::string::npos) << r.out;
  r = lda({"--lookup", "carol@example.org"}, "");
  EXPECT_EQ(r.exit_code, EX_NOPERM);
  EXPECT_NE(r.out.find("reply:    550 5.2.1 <carol@example.org> Mailbox disabled\n"), std::string::npos) << r.out;
  r = lda({"--lookup", "twin@example.org"}, "");
  EXPECT_EQ(r.exit_code, EX_TEMPFAIL);
  EXPECT_NE(r.out.find("result:   ambiguous\n"), std::string::npos) << r.out;
  slapd_.stop();
  r = lda({"--lookup", "alice@example.org"}, "");
  EXPECT_EQ(r.exit_code, EX_TEMPFAIL);
  EXPECT_NE(r.out.find("result:   unavailable\n"), std::string::npos) << r.out;
  EXPECT_EQ(snapshot(), "");
}

// The shared cache: what one letterbox-lda process learnt, the next one serves through an outage.
TEST_F(LdaTest, SharedCacheCarriesDeliveriesThroughAnOutage) {
  use_shared_cache();
  ASSERT_EQ(lda({"-a", "alice@example.org"}, test_message("m1")).exit_code, EX_OK);
  struct stat st {};
  ASSERT_EQ(stat(cache_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  auto r = lda({"--lookup", "alice@example.org"}, "");
  EXPECT_NE(r.out.find("source:   cache (shared cache " + cache_file().string() + ")\n"), std::string::npos) << r.out;
  r = lda({"--lookup", "bob.builder@example.org"}, "");
  EXPECT_NE(r.out.find("source:   directory"), std::string::npos) << r.out;
  slapd_.stop();
  r = lda({"-f", "sender@example.org", "-a", "alice@example.org"}, test_message("m2"));
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(files_in(alice_maildir() / "new").size(), 2U);
  expect_result(lda({"-a", "nosuchuser@example.org"}, test_message("m3")), EX_TEMPFAIL,
                "4.4.3 <nosuchuser@example.org> Directory unavailable, try again later");
  // After an administrator's --forget, the address is the directory's to answer again (here: down).
  r = lda({"--forget", "Alice@example.org"}, "");
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(r.out, "forgot alice@example.org\n");
  expect_result(lda({"-a", "alice@example.org"}, test_message("m4")), EX_TEMPFAIL,
                "4.4.3 <alice@example.org> Directory unavailable");
  r = lda({"--forget-all"}, "");
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(r.out, "forgot 1 entries in " + cache_file().string() + "\n");  // bob, from --lookup
}

TEST_F(LdaTest, ForgetWithoutASharedCacheSaysSo) {
  const auto r = lda({"--forget-all"}, "");
  EXPECT_EQ(r.exit_code, EX_CONFIG);
  EXPECT_TRUE(r.err.starts_with("letterbox-lda: [ldap] cache_file is not set")) << r.err;
}

// A cache file someone else could have written may redirect mail: it is not used, so with the directory
// down the delivery defers instead of trusting it.
TEST_F(LdaTest, UntrustedSharedCacheFilesAreNotUsed) {
  use_shared_cache();
  ASSERT_EQ(lda({"-a", "alice@example.org"}, test_message("m1")).exit_code, EX_OK);
  slapd_.stop();
  const auto deferred = [&](const std::string& why) {
    const auto r = lda({"-a", "alice@example.org"}, test_message("m2"));
    EXPECT_EQ(r.exit_code, EX_TEMPFAIL) << why << ": " << r.err;
    EXPECT_TRUE(r.err.starts_with("4.4.3 <alice@example.org> Directory unavailable")) << why << ": " << r.err;
  };
  ::chmod(cache_file().c_str(), 0666);
  deferred("world-writable");
  ::chmod(cache_file().c_str(), 0600);
  ASSERT_EQ(lda({"-a", "alice@example.org"}, test_message("m2")).exit_code, EX_OK);  // trusted again

  const auto real = tmp_ / "run" / "elsewhere.cache";
  std::filesystem::rename(cache_file(), real);
  std::filesystem::create_symlink(real, cache_file());
  const auto before = read_file(real);
  deferred("symlink");
  EXPECT_EQ(read_file(real), before) << "the symlink's target was written";
  std::filesystem::remove(cache_file());

  if (started_as_root()) {
    std::filesystem::rename(real, cache_file());
    ::chmod(cache_file().c_str(), 0606);  // readable by us, so that the owner is what is refused
    {
      RootScope root;
      ASSERT_EQ(chown(cache_file().c_str(), 0, 0), 0);
    }
    deferred("owned by root");
  }
  EXPECT_EQ(files_in(alice_maildir() / "new").size(), 2U);
}

// Many letterbox-lda processes on one cache, half of them killed at random moments, round after round.
// Afterwards nothing is left locked and every answer is right.
TEST_F(LdaTest, SharedCacheSurvivesAKillStorm) {
  use_shared_cache();
  const auto message = tmp_ / "message";
  write_file(message, test_message("storm"));
  std::srand(20261125);
  int killed = 0;
  for (int round = 0; round < 12; ++round) {
    std::vector<std::unique_ptr<Background>> processes;
    for (int i = 0; i < 8; ++i) {
      // Unknown addresses are stored too (negative entries): every process writes the cache.
      const std::string rcpt =
          i % 2 == 0 ? "alice@example.org" : "nobody" + std::to_string(round * 8 + i) + "@example.org";
      processes.push_back(std::make_unique<Background>(
          std::vector<std::string>{LETTERBOX_LDA_PATH, "-c", config().string(), "-a", rcpt, "-p", message.string()}));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::rand() % 15));
    for (int i = 0; i < 8; ++i) {
      if (i % 2 == 1) {
        std::this_thread::sleep_for(std::chrono::microseconds(std::rand() % 3000));
        processes[static_cast<std::size_t>(i)]->signal_and_wait(SIGKILL);
        ++killed;
      } else {
        const int code = processes[static_cast<std::size_t>(i)]->signal_and_wait(0);
        EXPECT_EQ(code, EX_OK) << "round " << round;
      }
    }
  }
  EXPECT_EQ(killed, 48);
  const auto started = std::chrono::steady_clock::now();
  expect_result(lda({"-a", "nosuchuser@example.org"}, test_message("after")), EX_NOUSER, "5.1.1");
  EXPECT_EQ(lda({"-a", "alice@example.org"}, test_message("after")).exit_code, EX_OK);
  auto r = lda({"--lookup", "alice@example.org"}, "");
  EXPECT_NE(r.out.find("source:   cache"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mailbox:  " + alice_maildir().string()), std::string::npos) << r.out;
  r = lda({"--lookup", "nosuchuser@example.org"}, "");
  EXPECT_NE(r.out.find("result:   unknown\nsource:   cache"), std::string::npos) << r.out;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5)) << "something waited on a lock";
  // Every copy that was delivered parses and is whole.
  const auto report = read_mailbox("maildir", alice_maildir());
  EXPECT_EQ(report.find("BAD"), std::string::npos) << report;
  r = lda({"--forget-all"}, "");
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
}

// Run from cron or a wrapper with descriptors 0-2 closed, the LDA opens /dev/null on them before anything
// else: its status line can go nowhere else. (Before: the shared cache file was opened as descriptor 2
// and the status line overwrote its header, so that every Letterbox process refused the cache.)
TEST_F(LdaTest, ClosedStandardDescriptorsLeaveTheSharedCacheAndTheLogIntact) {
  use_shared_cache();
  ASSERT_EQ(lda({"-a", "alice@example.org"}, test_message("m1")).exit_code, EX_OK);
  const std::string lda_command = std::string("exec ") + LETTERBOX_LDA_PATH + " -c " + config().string() +
                                  " -f sender@example.org -a nobody@example.org";
  auto r = run({"/bin/sh", "-c", "printf 'x\\n' | " + lda_command + " 1>&- 2>&-"});
  EXPECT_EQ(r.exit_code, EX_NOUSER) << r.output;
  r = run({"/bin/sh", "-c", lda_command + " 0<&- 1>&- 2>&-"});
  EXPECT_EQ(r.exit_code, EX_NOUSER) << r.output;
  r = run({"/bin/sh", "-c", "printf 'x\\n' | " + lda_command + " 2>&-"});
  EXPECT_EQ(r.exit_code, EX_NOUSER) << r.output;
  EXPECT_EQ(read_file(cache_file()).substr(0, 8), "LBXCACHE");
  const auto log = read_file(tmp_ / "letterbox.log");
  EXPECT_EQ(line_of(log, "5.1.1"), 0U) << "the status line went into the log:\n" << log;
  const auto lookup = lda({"--lookup", "nobody@example.org"}, "");
  EXPECT_NE(lookup.out.find("result:   unknown\nsource:   cache (shared cache " + cache_file().string() + ")"),
            std::string::npos)
      << lookup.out;
}

// [ldap] cache_file on a 64 KiB tmpfs: a cache too big to reserve there is refused and every delivery
// goes on without it; one that fits is reserved whole and stays usable after the filesystem fills up.
// Every exit is 0 or 67, never 135 (SIGBUS), which every letterbox-lda on the host exited with before.
TEST_F(LdaTest, SharedCacheOnAFullTmpfsNeverKillsTheLda) {
  if (!started_as_root()) GTEST_SKIP() << "needs root to mount a tmpfs";
  const TmpfsMount small_run_dir(cache_file().parent_path(), "64k");
  use_shared_cache();  // 1,000 entries: 1 MB
  const auto deliveries = [&](const std::string& round) {
    for (int i = 0; i < 20; ++i) {
      const auto r = lda({"-a", "user" + std::to_string(i) + "@example.org"}, test_message(round));
      EXPECT_EQ(r.exit_code, EX_NOUSER) << round << " " << i << ": " << r.err;
    }
    const auto r = lda({"-a", "alice@example.org"}, test_message(round));
    EXPECT_EQ(r.exit_code, EX_OK) << round << ": " << r.err;
  };
  deliveries("refused");
  EXPECT_FALSE(std::filesystem::exists(cache_file()));
  auto r = lda({"--lookup", "alice@example.org"}, "");
  EXPECT_NE(r.out.find("source:   directory (this process's memory: the shared cache " + cache_file().string() +
                       " was not used)"),
            std::string::npos)
      << r.out;

  write_file(config(),
             std::regex_replace(read_file(config()), std::regex("cache_entries = 1000"), "cache_entries = 8"));
  deliveries("fits");
  ASSERT_EQ(read_file(cache_file()).substr(0, 8), "LBXCACHE");
  fill_filesystem(cache_file().parent_path());
  deliveries("full");
  r = lda({"--lookup", "alice@example.org"}, "");
  EXPECT_NE(r.out.find("(shared cache " + cache_file().string() + ")"), std::string::npos) << r.out;
  EXPECT_EQ(files_in(alice_maildir() / "new").size(), 3U);
}
