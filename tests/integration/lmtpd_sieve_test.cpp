// Sieve at delivery ([sieve] enabled = yes), through real letterbox-lmtpd and letterbox-lda processes
// with a real slapd: what lands in which folder (read back with Python's mailbox module), the flags in
// Maildir names and mbox headers, the exact replies for reject among other recipients, the undo when a
// second copy cannot be stored, the scripts that fail, and the compiled-script cache.
#include <sys/stat.h>
#include <sysexits.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lmtpd_sieve_fixture.hpp"

namespace letterbox::test {
namespace {

namespace fs = std::filesystem;

TEST_F(LmtpdSieveTest, FileintoMaildirFoldersCreateAndMissingFolderFallback) {
  activate(alice_scripts(), R"(require ["fileinto", "mailbox"];
if header :contains "subject" "lists" { fileinto :create "Lists/dev"; stop; }
if header :contains "subject" "missing" { fileinto "Nowhere"; stop; }
)");
  start_sieve();
  EXPECT_EQ(send_to_alice("lists-1"), kDelivered);
  EXPECT_EQ(send_to_alice("missing-1"), kDelivered);
  EXPECT_EQ(send_to_alice("plain-1"), kDelivered);

  const auto folder = alice() / ".Lists.dev";
  EXPECT_EQ(mailbox_of("maildir", folder), "lists-1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  EXPECT_TRUE(fs::is_regular_file(folder / "maildirfolder"));
  for (const char* sub : {"tmp", "new", "cur"}) EXPECT_TRUE(fs::is_directory(folder / sub)) << sub;
  // Without :create the missing folder is not made, and the copy is in the inbox with the plain one.
  EXPECT_FALSE(fs::exists(alice() / ".Nowhere"));
  const auto inbox = mailbox_of("maildir", alice());
  EXPECT_NE(inbox.find("missing-1\tOK\t<sender@client.test>\talice@example.org\n"), std::string::npos) << inbox;
  EXPECT_NE(inbox.find("plain-1\tOK\t<sender@client.test>\talice@example.org\n"), std::string::npos) << inbox;
  EXPECT_NE(inbox.find("count 2\n"), std::string::npos) << inbox;
  EXPECT_TRUE(log_has("fileinto \"Nowhere\" (line 3): no such folder; the copy goes to the inbox")) << log();
}

TEST_F(LmtpdSieveTest, FlagsGoIntoCurNamesAndDovecotKeywords) {
  activate(alice_scripts(), R"(require ["fileinto", "imap4flags"];
if header :contains "subject" "work" {
  fileinto :flags ["\\Seen", "\\Flagged", "$Work", "\\Answered"] "INBOX";
} else {
  addflag ["\\Draft", "\\Deleted"];
}
)");
  start_sieve();
  EXPECT_EQ(send_to_alice("work-1"), kDelivered);
  EXPECT_EQ(send_to_alice("other-1"), kDelivered);
  EXPECT_TRUE(names_in(alice() / "new").empty());
  const auto cur = names_in(alice() / "cur");
  ASSERT_EQ(cur.size(), 2U);
  std::vector<std::string> infos;
  for (const auto& name : cur) infos.push_back(name.substr(name.find(':')));
  std::sort(infos.begin(), infos.end());
  // Letters in ASCII order: \Draft D, \Flagged F, \Answered R, \Seen S, \Deleted T, keyword 0 'a'.
  EXPECT_EQ(infos, (std::vector<std::string>{":2,DT", ":2,FRSa"}));
  EXPECT_EQ(read_file(alice() / "dovecot-keywords"), "0 $Work\n");
  EXPECT_NE(mailbox_of("maildir", alice()).find("count 2\n"), std::string::npos);
}

TEST_F(LmtpdSieveTest, MboxUserFoldersAndFlagHeaders) {
  fs::create_directories(bob_folders());
  activate(mail_root() / "example.org" / "bob.builder" / "sieve", R"(require ["fileinto", "mailbox", "imap4flags"];
if header :contains "subject" "lists" { fileinto :create "Lists/dev"; stop; }
if header :contains "subject" "missing" { fileinto "Nowhere"; stop; }
if header :contains "subject" "flagged" { addflag ["\\Seen", "\\Flagged", "\\Answered", "$Work"]; }
)");
  start_sieve();
  const std::string bob = "bob.builder@example.org";
  EXPECT_EQ(send("lists-1", {bob}).at(0), "250 2.0.0 <" + bob + "> Delivered");
  EXPECT_EQ(send("missing-1", {bob}).at(0), "250 2.0.0 <" + bob + "> Delivered");
  EXPECT_EQ(send("flagged-1", {bob}).at(0), "250 2.0.0 <" + bob + "> Delivered");

  EXPECT_EQ(mailbox_of("mbox", bob_folders() / "Lists" / "dev"),
            "lists-1\tOK\t<sender@client.test>\tbob.builder@example.org\ncount 1\n");
  EXPECT_FALSE(fs::exists(bob_folders() / "Nowhere"));
  EXPECT_EQ(mailbox_of("mbox", bob_mbox()),
            "missing-1\tOK\t<sender@client.test>\tbob.builder@example.org\n"
            "flagged-1\tOK\t<sender@client.test>\tbob.builder@example.org\ncount 2\n");
  const auto text = read_file(bob_mbox());
  const auto flagged = text.find("Message-ID: <flagged-1>");
  ASSERT_NE(flagged, std::string::npos);
  const auto header = text.substr(text.rfind("\nFrom ", flagged), flagged - text.rfind("\nFrom ", flagged));
  EXPECT_NE(header.find("\nStatus: RO\nX-Status: FA\nX-Keywords: $Work\n"), std::string::npos) << header;
  // The unflagged copy has none of them.
  EXPECT_EQ(count_of(text, "Status: RO"), 1U);
}

TEST_F(LmtpdSieveTest, DiscardStoresNothingAndAnswers250) {
  activate(alice_scripts(), "discard;\n");
  start_sieve();
  EXPECT_EQ(send_to_alice("gone-1"), kDelivered);
  EXPECT_TRUE(names_in(alice() / "new").empty());
  EXPECT_TRUE(names_in(alice() / "cur").empty());
  EXPECT_TRUE(log_has("sieve: to=<alice@example.org> stored in nothing (discarded)")) << log();
}

TEST_F(LmtpdSieveTest, RejectAmongDeliveredRecipientsInOneTransaction) {
  // The reason spans two lines and holds a tab: the reply gets one line of it.
  activate(alice_scripts(), "require \"reject\";\nreject \"No mail\r\nfrom you,\tthank you\";\n");
  start_sieve();
  const auto replies = send("r1", {"alice@example.org", "bob.builder@example.org", "grace@example.org"});
  EXPECT_EQ(replies, (std::vector<std::string>{"550 5.7.1 <alice@example.org> No mail from you, thank you",
                                               "250 2.0.0 <bob.builder@example.org> Delivered",
                                               "250 2.0.0 <grace@example.org> Delivered"}));
  EXPECT_FALSE(fs::exists(alice() / "new") && !names_in(alice() / "new").empty());
  EXPECT_EQ(mailbox_of("mbox", bob_mbox()), "r1\tOK\t<sender@client.test>\tbob.builder@example.org\ncount 1\n");
  EXPECT_EQ(mailbox_of("maildir", mail_root() / "example.org" / "grace" / "Maildir"),
            "r1\tOK\t<sender@client.test>\tgrace@example.org\ncount 1\n");
}

TEST_F(LmtpdSieveTest, LdaRejectExits77WithTheReasonOnStderr) {
  activate(alice_scripts(), "require \"ereject\";\nereject \"Not here\";\n");
  write_file(config(), sieve_config());
  const auto r =
      run_split({LETTERBOX_LDA_PATH, "-c", config().string(), "-f", "sender@client.test", "-a", "alice@example.org"},
                test_message("l1"));
  EXPECT_EQ(r.exit_code, EX_NOPERM) << r.err;
  EXPECT_EQ(r.err, "5.7.1 <alice@example.org> Not here\n");
  EXPECT_TRUE(names_in(alice() / "new").empty());
}

TEST_F(LmtpdSieveTest, LdaRunsTheScriptToo) {
  activate(alice_scripts(), "require [\"fileinto\", \"mailbox\"];\nfileinto :create \"Archive\";\n");
  write_file(config(), sieve_config());
  const auto r =
      run_split({LETTERBOX_LDA_PATH, "-c", config().string(), "-f", "sender@client.test", "-a", "alice@example.org"},
                test_message("l2"));
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(mailbox_of("maildir", alice() / ".Archive"), "l2\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
}

TEST_F(LmtpdSieveTest, ScriptThatDoesNotCompileKeepsInInboxAndLogs) {
  activate(alice_scripts(), "require \"fileinto\";\nif true {\n  fileinto \"x\"\n}\n");
  start_sieve();
  EXPECT_EQ(send_to_alice("broken-1"), kDelivered);
  EXPECT_EQ(mailbox_of("maildir", alice()), "broken-1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  EXPECT_TRUE(log_has("sieve: to=<alice@example.org> script " + (alice_scripts() / "main.sieve").string() +
                      " does not compile: " + (alice_scripts() / "main.sieve").string() + ":4:"))
      << log();
}

TEST_F(LmtpdSieveTest, SubaddressAndVariablesFileIntoTheFolderTheDetailNames) {
  // The rule users write to sort "alice+lists@" into a folder of that name.
  activate(alice_scripts(), R"(require ["envelope", "subaddress", "variables", "fileinto", "mailbox"];
if envelope :detail :matches "to" "*" {
  if not string :is "${1}" "" { fileinto :create "${1}"; stop; }
}
)");
  start_sieve();
  EXPECT_EQ(send("sub-1", {"alice+lists@example.org"}).at(0), "250 2.0.0 <alice+lists@example.org> Delivered");
  EXPECT_EQ(send("sub-2", {"alice+Invoices@example.org"}).at(0), "250 2.0.0 <alice+Invoices@example.org> Delivered");
  EXPECT_EQ(send_to_alice("sub-3"), kDelivered);
  EXPECT_EQ(mailbox_of("maildir", alice() / ".lists"),
            "sub-1\tOK\t<sender@client.test>\talice+lists@example.org\ncount 1\n");
  EXPECT_EQ(mailbox_of("maildir", alice() / ".Invoices"),
            "sub-2\tOK\t<sender@client.test>\talice+Invoices@example.org\ncount 1\n");
  EXPECT_EQ(mailbox_of("maildir", alice()), "sub-3\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
}

TEST_F(LmtpdSieveTest, ACatastrophicRegexIsLinearAndTheMessageIsDeliveredInTime) {
  // (a+)+b against forty thousand a's (a folded Subject: no line is over 1000 octets) is exponential for a backtracking
  // matcher; RE2 is linear, so the run ends long before max_cpu_time and the message goes where the script says (no
  // match: the inbox).
  activate(alice_scripts(), R"(require ["regex", "fileinto", "mailbox", "imap4flags"];
if header :regex "subject" "(a+)+b" { fileinto :create "Matched"; }
if header :regex "subject" "^(a|aa)+$" { addflag "\\Flagged"; }
)");
  start_sieve("max_cpu_time = 500ms\n");
  std::string subject = "Subject: a";
  for (int i = 0; i < 45; ++i) subject += "\n " + std::string(900, 'a');
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(send_message(subject + "\n\nbody\n", {"alice@example.org"}).at(0), kDelivered);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
  EXPECT_FALSE(fs::exists(alice() / ".Matched"));
  EXPECT_EQ(names_in(alice() / "new").size(), 1U);  // unflagged: the folded Subject holds spaces
  EXPECT_EQ(log().find("failed at line"), std::string::npos) << log();
}

TEST_F(LmtpdSieveTest, ScriptOverALimitKeepsInInboxAndLogs) {
  activate(alice_scripts(), R"(require ["fileinto", "mailbox"];
fileinto :create "A";
fileinto :create "B";
fileinto :create "C";
)");
  start_sieve("max_actions = 2\n");
  EXPECT_EQ(send_to_alice("many-1"), kDelivered);
  EXPECT_EQ(mailbox_of("maildir", alice()), "many-1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  EXPECT_FALSE(fs::exists(alice() / ".A"));
  EXPECT_TRUE(log_has("sieve: to=<alice@example.org> script " + (alice_scripts() / "main.sieve").string() +
                      " failed at line 4: "))
      << log();
}

TEST_F(LmtpdSieveTest, LockedSecondFolderTakesTheFirstCopyBackAndAnswers450) {
  activate(alice_scripts(), R"(require ["fileinto", "mailbox"];
fileinto :create "First";
fileinto "Second";
)");
  // "Second" exists, and an administrator holds its lock file exclusively.
  for (const char* sub : {"tmp", "new", "cur"}) fs::create_directories(alice() / ".Second" / sub);
  const auto lock = alice() / ".Second" / "letterbox.lock";
  Background holder(
      {"flock", "-x", lock.string(), "sh", "-c", "touch " + (tmp_ / "held").string() + "; exec sleep 600"});
  ASSERT_TRUE(wait_for_file(tmp_ / "held"));
  start_sieve();
  EXPECT_EQ(send_to_alice("locked-1"), "450 4.2.0 <alice@example.org> Mailbox locked, try again later");
  EXPECT_TRUE(log_has("sieve: to=<alice@example.org> taking back 1 stored copy: another copy failed")) << log();
  for (const auto& dir : {alice(), alice() / ".First", alice() / ".Second"}) {
    EXPECT_TRUE(names_in(dir / "new").empty()) << dir;
    EXPECT_TRUE(names_in(dir / "cur").empty()) << dir;
  }
}

TEST_F(LmtpdSieveTest, BeforeAndAfterScriptsAroundTheUsers) {
  fs::create_directories(admin_dir());
  write_file(admin_dir() / "spam.sieve",
             "require [\"fileinto\", \"mailbox\"];\nif header :contains \"subject\" \"spam\" { fileinto :create "
             "\"Junk\"; }\n");
  write_file(admin_dir() / "late.sieve",
             "require [\"fileinto\", \"mailbox\"];\nif header :contains \"subject\" \"late\" { fileinto :create "
             "\"Late\"; }\n");
  activate(alice_scripts(), R"(require ["fileinto", "mailbox"];
if header :contains "subject" "mine" { fileinto :create "Mine"; }
if header :contains "subject" "spam" { fileinto :create "NotReached"; }
)");
  start_sieve("before = " + (admin_dir() / "spam.sieve").string() +
              "\nafter = " + (admin_dir() / "late.sieve").string() + "\n");
  EXPECT_EQ(send_to_alice("spam-1"), kDelivered);
  EXPECT_EQ(send_to_alice("mine-late-1"), kDelivered);  // the user's fileinto ends the sequence
  EXPECT_EQ(send_to_alice("late-1"), kDelivered);
  EXPECT_EQ(mailbox_of("maildir", alice() / ".Junk"), "spam-1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  EXPECT_FALSE(fs::exists(alice() / ".NotReached"));
  EXPECT_EQ(mailbox_of("maildir", alice() / ".Mine"),
            "mine-late-1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  EXPECT_EQ(mailbox_of("maildir", alice() / ".Late"), "late-1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  EXPECT_FALSE(fs::exists(alice() / "new") && !names_in(alice() / "new").empty());
}

TEST_F(LmtpdSieveTest, IncludesPersonalAndGlobalScripts) {
  fs::create_directories(admin_dir());
  write_file(admin_dir() / "junk.sieve",
             "require [\"fileinto\", \"mailbox\"];\nif header :contains \"subject\" \"spam\" { fileinto :create "
             "\"Junk\"; }\n");
  fs::create_directories(alice_scripts());
  write_file(alice_scripts() / "lists.sieve",
             "require [\"fileinto\", \"mailbox\"];\nif header :contains \"subject\" \"lists\" { fileinto :create "
             "\"Lists\"; }\n");
  activate(alice_scripts(), "require \"include\";\ninclude :global \"junk\";\ninclude :personal \"lists\";\n");
  start_sieve("global_dir = " + admin_dir().string() + "\n");
  EXPECT_EQ(send_to_alice("spam-2"), kDelivered);
  EXPECT_EQ(send_to_alice("lists-2"), kDelivered);
  EXPECT_EQ(mailbox_of("maildir", alice() / ".Junk"), "spam-2\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  EXPECT_EQ(mailbox_of("maildir", alice() / ".Lists"),
            "lists-2\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
}

TEST_F(LmtpdSieveTest, CompiledScriptIsReusedUntilTheFileChanges) {
  activate(alice_scripts(), "keep;\n");
  start_sieve();
  for (const char* id : {"c1", "c2", "c3"}) EXPECT_EQ(send_to_alice(id), kDelivered);
  const std::string compiled = "sieve: compiled " + (alice_scripts() / "main.sieve").string();
  EXPECT_TRUE(log_has("stored in INBOX"));
  EXPECT_EQ(count_of(log(), compiled), 1U) << log();
  activate(alice_scripts(), "require \"fileinto\";\nfileinto \"INBOX\";\n");
  for (const char* id : {"c4", "c5"}) EXPECT_EQ(send_to_alice(id), kDelivered);
  EXPECT_EQ(count_of(log(), compiled), 2U) << log();
  EXPECT_NE(mailbox_of("maildir", alice()).find("count 5\n"), std::string::npos);
}

TEST_F(LmtpdSieveTest, UnreadableActiveScriptDefersInsteadOfDeliveringUnfiltered) {
  activate(alice_scripts(), "discard;\n");
  fs::permissions(alice_scripts() / "main.sieve", fs::perms::none);
  start_sieve();
  EXPECT_EQ(send_to_alice("u1"), "451 4.3.0 <alice@example.org> Local delivery error");
  EXPECT_TRUE(names_in(alice() / "new").empty());
  // A missing script is no script: the message is kept.
  fs::remove(alice_scripts() / "main.sieve");
  EXPECT_EQ(send_to_alice("u2"), kDelivered);
  EXPECT_EQ(mailbox_of("maildir", alice()), "u2\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
}

TEST_F(LmtpdSieveTest, LockedSecondMboxFolderTruncatesTheFirstBack) {
  fs::create_directories(bob_folders());
  write_file(bob_folders() / "Second", "");
  activate(mail_root() / "example.org" / "bob.builder" / "sieve", R"(require ["fileinto", "mailbox"];
fileinto :create "First";
fileinto "Second";
)");
  ASSERT_EQ(run({"dotlockfile", "-l", "-r", "0", (bob_folders() / "Second").string() + ".lock"}).exit_code, 0);
  start_sieve();
  const std::string bob = "bob.builder@example.org";
  EXPECT_EQ(send("m1", {bob}).at(0), "450 4.2.0 <" + bob + "> Mailbox locked, try again later");
  EXPECT_TRUE(log_has("sieve: to=<" + bob + "> taking back 1 stored copy: another copy failed")) << log();
  EXPECT_EQ(read_file(bob_folders() / "First"), "");
  EXPECT_EQ(read_file(bob_folders() / "Second"), "");
  EXPECT_FALSE(fs::exists(bob_mbox()));
  // Once the lock is gone the retry stores each copy once.
  ASSERT_EQ(run({"dotlockfile", "-u", (bob_folders() / "Second").string() + ".lock"}).exit_code, 0);
  EXPECT_EQ(send("m1", {bob}).at(0), "250 2.0.0 <" + bob + "> Delivered");
  EXPECT_EQ(mailbox_of("mbox", bob_folders() / "First"), "m1\tOK\t<sender@client.test>\t" + bob + "\ncount 1\n");
  EXPECT_EQ(mailbox_of("mbox", bob_folders() / "Second"), "m1\tOK\t<sender@client.test>\t" + bob + "\ncount 1\n");
}

TEST_F(LmtpdSieveTest, DuplicateMarksAreRecordedOnlyForDeliveredMessages) {
  activate(alice_scripts(), R"(require ["duplicate", "fileinto", "mailbox"];
if duplicate { discard; stop; }
fileinto :create "First";
fileinto "Second";
)");
  for (const char* sub : {"tmp", "new", "cur"}) fs::create_directories(alice() / ".Second" / sub);
  start_sieve();
  {
    // The first attempt fails: its mark must not make the retry a duplicate.
    const auto lock = alice() / ".Second" / "letterbox.lock";
    Background holder(
        {"flock", "-x", lock.string(), "sh", "-c", "touch " + (tmp_ / "held").string() + "; exec sleep 600"});
    ASSERT_TRUE(wait_for_file(tmp_ / "held"));
    EXPECT_EQ(send_to_alice("dup-1"), "450 4.2.0 <alice@example.org> Mailbox locked, try again later");
  }
  EXPECT_EQ(send_to_alice("dup-1"), kDelivered);
  EXPECT_EQ(send_to_alice("dup-1"), kDelivered);  // the same Message-ID again: discarded
  EXPECT_EQ(mailbox_of("maildir", alice() / ".First"), "dup-1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  EXPECT_EQ(mailbox_of("maildir", alice() / ".Second"),
            "dup-1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
}

TEST_F(LmtpdSieveTest, ASpilledMessageIsFiledWholeIntoTwoFolders) {
  activate(alice_scripts(), R"(require ["fileinto", "mailbox", "copy"];
if header :contains "subject" "big" { fileinto :copy :create "Big"; }
)");
  start_sieve();
  // Over the spool's 256 KiB memory limit: the run reads the spool file mapped, not a copy.
  std::string message;
  for (int i = 0; i < 1500; ++i) message += "X-Pad-" + std::to_string(i) + ": " + std::string(700, 'p') + "\n";
  message += test_message("big-1");
  auto c = transaction();
  EXPECT_EQ(c->command("RCPT TO:<alice@example.org>"), "250 2.1.5 <alice@example.org> OK");
  EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
  c->send(smtp_data(message));
  EXPECT_EQ(c->reply(), kDelivered);
  EXPECT_EQ(mailbox_of("maildir", alice() / ".Big"), "big-1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  EXPECT_EQ(mailbox_of("maildir", alice()), "big-1\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  const auto inbox_copy = read_file(fs::directory_iterator(alice() / "new")->path());
  const auto folder_copy = read_file(fs::directory_iterator(alice() / ".Big" / "new")->path());
  EXPECT_EQ(inbox_copy, folder_copy);
  EXPECT_TRUE(inbox_copy.ends_with(message)) << inbox_copy.size();
}

TEST_F(LmtpdSieveTest, ATakenBackCopyLeavesTheQuotaCountAsItWas) {
  activate(alice_scripts(), R"(require ["fileinto", "mailbox"];
fileinto :create "First";
fileinto "Second";
)");
  for (const char* sub : {"tmp", "new", "cur"}) fs::create_directories(alice() / ".Second" / sub);
  const auto lock = alice() / ".Second" / "letterbox.lock";
  Background holder(
      {"flock", "-x", lock.string(), "sh", "-c", "touch " + (tmp_ / "held").string() + "; exec sleep 600"});
  ASSERT_TRUE(wait_for_file(tmp_ / "held"));
  start_with(config_text("", "quota = 10M\n") + "[sieve]\nenabled = yes\n");
  EXPECT_EQ(send_to_alice("q1"), "450 4.2.0 <alice@example.org> Mailbox locked, try again later");
  // Every line after the limit: the copy counted, then taken back; the deltas add up to nothing.
  const auto size = read_file(alice() / "maildirsize");
  std::istringstream lines(size.substr(size.find('\n') + 1));
  long long bytes = 0;
  long long count = 0;
  long long b = 0;
  long long n = 0;
  while (lines >> b >> n) {
    bytes += b;
    count += n;
  }
  EXPECT_EQ(bytes, 0) << size;
  EXPECT_EQ(count, 0) << size;
  EXPECT_NE(size.find("\n-"), std::string::npos) << size;
}

TEST_F(LmtpdSieveTest, ConcurrentSessionsShareTheScriptsAndFileEveryCopyOnce) {
  activate(alice_scripts(), R"(require ["fileinto", "mailbox", "imap4flags"];
if header :contains "subject" "odd" { fileinto :create :flags "$Odd" "Odd"; } else { addflag "\\Seen"; }
)");
  start_sieve();
  std::vector<std::thread> sessions;
  std::atomic<int> delivered{0};
  for (int t = 0; t < 4; ++t) {
    sessions.emplace_back([&, t] {
      for (int i = 0; i < 6; ++i) {
        const std::string id = (i % 2 == 1 ? "odd-" : "even-") + std::to_string(t) + "-" + std::to_string(i);
        if (send_to_alice(id) == kDelivered) ++delivered;
      }
    });
  }
  for (auto& s : sessions) s.join();
  EXPECT_EQ(delivered, 24);
  const auto odd = mailbox_of("maildir", alice() / ".Odd");
  const auto inbox = mailbox_of("maildir", alice());
  EXPECT_NE(odd.find("count 12\n"), std::string::npos) << odd;
  EXPECT_NE(inbox.find("count 12\n"), std::string::npos) << inbox;
  EXPECT_EQ(count_of(odd, "\tBAD\t") + count_of(inbox, "\tBAD\t"), 0U);
  EXPECT_EQ(names_in(alice() / "cur").size(), 12U);  // \Seen: all in cur/
  EXPECT_EQ(read_file(alice() / ".Odd" / "dovecot-keywords"), "0 $Odd\n");
}

}  // namespace
}  // namespace letterbox::test
