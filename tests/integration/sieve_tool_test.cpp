// letterbox-sieve as an administrator runs it: the real program, a real slapd, real files. `check` on
// good and bad scripts (exact stderr and exit codes), and a user's scripts put, listed, activated, read
// and deleted through the directory, with every refusal's exit status (letterbox-sieve(1), EXIT STATUS).
#include <gtest/gtest.h>
#include <pwd.h>
#include <sysexits.h>

#include <filesystem>
#include <regex>

#include "slapd.hpp"
#include "test_support.hpp"

using namespace letterbox;
using namespace letterbox::test;

namespace {

const std::string kVacation = "require \"vacation\";\nvacation :days 3 \"I am away\";\n";
const std::string kBroken = "require \"fileinto\";\nif exists \"X-Spam\" {\n  filinto \"Junk\";\n}\n";

class SieveToolTest : public ::testing::Test {
 protected:
  SieveToolTest() {
    std::filesystem::create_directories(mail_root());
    write_file(config(), "[server]\nhostname = example.org\nuser = " + me() + "\n" + slapd_.config_section() +
                             "[delivery]\nmail_root = " + mail_root().string() + "\n[sieve]\nmax_script_size = 1K\n");
  }

  // The tests' own user stands for the delivery user ([server] user).
  static std::string me() { return ::getpwuid(::geteuid())->pw_name; }
  std::filesystem::path mail_root() const { return tmp_ / "mail"; }
  std::filesystem::path config() const { return tmp_ / "letterbox.conf"; }
  std::filesystem::path alice_dir() const { return mail_root() / "example.org" / "alice" / "sieve"; }
  std::string script(const std::string& name, const std::string& text) const {
    write_file(tmp_ / name, text);
    return (tmp_ / name).string();
  }

  SplitRunResult sieve(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv{LETTERBOX_SIEVE_PATH, "-c", config().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_split(argv, input);
  }

  Slapd slapd_;
  TempDir tmp_;
};

}  // namespace

TEST_F(SieveToolTest, CheckAcceptsAScriptThatCompiles) {
  const auto r = sieve({"check", script("vacation.sieve", kVacation)});
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

TEST_F(SieveToolTest, CheckPrintsEachErrorAsFileLineColumn) {
  const auto file = script("broken.sieve", kBroken + "redirekt \"bob@example.org\";\n");
  const auto r = sieve({"check", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, file + ":3:3: unknown command \"filinto\" (did you mean \"fileinto\"?)\n" + file +
                       ":5:1: unknown command \"redirekt\" (did you mean \"redirect\"?)\n");
  const auto big = script("big.sieve", "# " + std::string(1100, 'x') + "\nkeep;\n");
  EXPECT_EQ(sieve({"check", big}).err, big + ":1:1: script too large (1109 bytes, at most 1024)\n");
}

TEST_F(SieveToolTest, CheckNamesAFileItCannotRead) {
  const auto missing = (tmp_ / "missing.sieve").string();
  const auto r = sieve({"check", missing});
  EXPECT_EQ(r.exit_code, EX_NOINPUT);
  EXPECT_EQ(r.err, "letterbox-sieve: " + missing + ": No such file or directory\n");
  EXPECT_EQ(sieve({"check", tmp_.path().string()}).err,
            "letterbox-sieve: " + tmp_.path().string() + ": Is a directory\n");
}

TEST_F(SieveToolTest, UsageAndConfigurationErrors) {
  auto r = sieve({"frobnicate"});
  EXPECT_EQ(r.exit_code, EX_USAGE);
  EXPECT_TRUE(r.err.starts_with("letterbox-sieve: unknown command 'frobnicate'\nUsage: letterbox-sieve")) << r.err;
  r = sieve({"check"});
  EXPECT_EQ(r.exit_code, EX_USAGE);
  EXPECT_TRUE(r.err.starts_with("letterbox-sieve: check: wrong number of arguments\n")) << r.err;
  r = sieve({"test", "a.sieve"});
  EXPECT_EQ(r.exit_code, EX_USAGE);
  EXPECT_TRUE(r.err.starts_with("letterbox-sieve: test: wrong number of arguments\n")) << r.err;
  r = sieve({"test", "-x", "a.sieve", "m.eml"});
  EXPECT_EQ(r.exit_code, EX_USAGE);
  EXPECT_TRUE(r.err.starts_with("letterbox-sieve: test: unrecognised option '-x'\n")) << r.err;
  r = sieve({"-c", config().string(), "list", "alice@example.org"});
  EXPECT_EQ(r.exit_code, EX_USAGE);
  EXPECT_TRUE(r.err.starts_with("letterbox-sieve: option '-c/--config' given more than once\n")) << r.err;
  r = sieve({"list", "not an address"});
  EXPECT_EQ(r.exit_code, EX_USAGE);
  EXPECT_TRUE(r.err.starts_with("letterbox-sieve: bad address 'not an address': ")) << r.err;

  write_file(config(), "[sieve]\nmax_script_size = 0\n");
  r = sieve({"check", script("vacation.sieve", kVacation)});
  EXPECT_EQ(r.exit_code, EX_CONFIG);
  EXPECT_EQ(r.err, "letterbox-sieve: " + config().string() +
                       ":2: key 'max_script_size' in [sieve]: bad value '0': expected at least 1K\n");
}

// `test` runs a script on a message and prints the actions (docs/sieve.md's format), performing none; the
// corpus (tests/sieve/) checks the actions themselves, this the command line around them.
TEST_F(SieveToolTest, TestPrintsTheActionsItWouldTake) {
  const auto message =
      script("m.eml", "From: Carol <carol@example.com>\nTo: alice@example.org\nSubject: Lunch\n\nHello\n");
  auto r = sieve({"test", "-f", "carol@example.com", "-a", "alice@example.org", script("v.sieve", kVacation), message});
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(r.out,
            "vacation :days 3 :handle \"I am away<default-subject><default-from><NO-MIME>\" to \"carol@example.com\" "
            "\"I am away\"\nkeep\n");
  EXPECT_EQ(r.err, "");
  // Without -f and -a: From and To. A bounce (<>) gets no vacation reply, so none is printed.
  EXPECT_EQ(sieve({"test", script("v.sieve", kVacation), message}).out, r.out);
  EXPECT_EQ(sieve({"test", "-f", "<>", "-a", "alice@example.org", script("v.sieve", kVacation), message}).out,
            "keep\n");
  EXPECT_EQ(sieve({"test", "-f", "", "-a", "alice@example.org", script("v.sieve", kVacation), message}).out, "keep\n");
  // Compile errors as for check.
  const auto broken = script("broken.sieve", kBroken);
  r = sieve({"test", broken, message});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, broken + ":3:3: unknown command \"filinto\" (did you mean \"fileinto\"?)\n");
  r = sieve({"test", script("v.sieve", kVacation), (tmp_ / "missing.eml").string()});
  EXPECT_EQ(r.exit_code, EX_NOINPUT);
}

TEST_F(SieveToolTest, TestIncludesFromTheScriptsDirectoryAndTheGlobalOne) {
  const auto message = script("m.eml", "From: carol@example.com\nTo: alice@example.org\n\nHello\n");
  std::filesystem::create_directories(tmp_ / "global");
  write_file(tmp_ / "global" / "spam.sieve", "require \"fileinto\";\nfileinto \"Junk\";\n");
  script("lists.sieve", "require \"fileinto\";\nfileinto \"Lists\";\n");
  const auto main =
      script("main.sieve", "require \"include\";\ninclude :personal \"lists\";\ninclude :global \"spam\";\n");
  const std::string global = "--global-dir=" + (tmp_ / "global").string();
  auto r = sieve({"test", global, "-a", "alice@example.org", main, message});
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(r.out, "fileinto \"Lists\"\nfileinto \"Junk\"\n");
  // Without --global-dir the global script is missing: a run-time error, and the message is kept.
  r = sieve({"test", "-a", "alice@example.org", main, message});
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_TRUE(r.out.starts_with("error 3:1: ")) << r.out;
  EXPECT_TRUE(r.out.ends_with("\nkeep\n")) << r.out;
  // A name cannot leave the directory (the compiler already refuses it).
  const auto escape = script("escape.sieve", "require \"include\";\ninclude :global \"../lists\";\n");
  r = sieve({"test", global, "-a", "alice@example.org", escape, message});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, escape + ":2:1: invalid script name \"../lists\" (no '/', no '..', not empty)\n");
}

TEST_F(SieveToolTest, VersionNamesTheProgramAndTheLicence) {
  const auto r = run_split({LETTERBOX_SIEVE_PATH, "--version"});
  EXPECT_EQ(r.exit_code, EX_OK);
  EXPECT_EQ(r.out, "letterbox-sieve " LETTERBOX_VERSION
                   "\nCopyright (c) 2026 the Letterbox authors. License: MIT <https://opensource.org/license/mit>.\n");
}

TEST_F(SieveToolTest, PutListActivateGetDelete) {
  auto r = sieve({"list", "alice@example.org"});
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(r.out, "");

  r = sieve({"put", "alice@example.org", "vacation", script("v.sieve", kVacation)});
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(read_file(alice_dir() / "vacation.sieve"), kVacation);
  r = sieve({"put", "Alice@Example.ORG", "summer script"}, "keep;\n");  // from standard input
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(sieve({"list", "alice@example.org"}).out, "\"summer script\"\n\"vacation\"\n");

  r = sieve({"activate", "alice@example.org", "vacation"});
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(read_file(alice_dir() / "active"), "vacation\n");
  EXPECT_EQ(sieve({"list", "alice@example.org"}).out, "\"summer script\"\n\"vacation\" ACTIVE\n");

  r = sieve({"get", "alice@example.org", "vacation"});
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(r.out, kVacation);

  r = sieve({"delete", "alice@example.org", "vacation"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "letterbox-sieve: script 'vacation' is active: deactivate it or activate another first\n");
  r = sieve({"rename", "alice@example.org", "vacation", "away"});
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(sieve({"list", "alice@example.org"}).out, "\"away\" ACTIVE\n\"summer script\"\n");
  EXPECT_EQ(sieve({"deactivate", "alice@example.org"}).exit_code, EX_OK);
  r = sieve({"delete", "alice@example.org", "away"});
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(sieve({"list", "alice@example.org"}).out, "\"summer script\"\n");
  EXPECT_FALSE(std::filesystem::exists(alice_dir() / "away.sieve"));
}

TEST_F(SieveToolTest, PutRefusesWhatManageSieveWould) {
  auto r = sieve({"put", "alice@example.org", "junk", script("broken.sieve", kBroken)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            (tmp_ / "broken.sieve").string() + ":3:3: unknown command \"filinto\" (did you mean \"fileinto\"?)\n");
  r = sieve({"put", "alice@example.org", "junk"}, kBroken);
  EXPECT_EQ(r.err, "<stdin>:3:3: unknown command \"filinto\" (did you mean \"fileinto\"?)\n");
  r = sieve({"put", "alice@example.org", "big"}, "# " + std::string(2000, 'x') + "\nkeep;\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "letterbox-sieve: the script is larger than max_script_size (1024 bytes)\n");
  r = sieve({"put", "alice@example.org", "../../bob/sieve/x"}, "keep;\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "letterbox-sieve: bad script name '../../bob/sieve/x': the name contains '/'\n");
  r = sieve({"put", "alice@example.org", "x", (tmp_ / "missing.sieve").string()});
  EXPECT_EQ(r.exit_code, EX_NOINPUT);
  EXPECT_EQ(r.err, "letterbox-sieve: " + (tmp_ / "missing.sieve").string() + ": No such file or directory\n");
  r = sieve({"activate", "alice@example.org", "nothing"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "letterbox-sieve: there is no script 'nothing'\n");
  r = sieve({"get", "alice@example.org", "nothing"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "letterbox-sieve: there is no script 'nothing'\n");
  EXPECT_FALSE(std::filesystem::exists(alice_dir() / "junk.sieve"));
}

TEST_F(SieveToolTest, TheUserIsLookedUpAsForDelivery) {
  auto r = sieve({"list", "nobody@example.org"});
  EXPECT_EQ(r.exit_code, EX_NOUSER);
  EXPECT_EQ(r.err, "letterbox-sieve: 5.1.1 <nobody@example.org> User unknown\n");
  r = sieve({"put", "carol@example.org", "x"}, "keep;\n");
  EXPECT_EQ(r.exit_code, EX_NOPERM);
  EXPECT_EQ(r.err, "letterbox-sieve: 5.2.1 <carol@example.org> Mailbox disabled\n");
  r = sieve({"list", "dave@example.org"});
  EXPECT_EQ(r.exit_code, EX_TEMPFAIL);
  EXPECT_EQ(r.err, "letterbox-sieve: 4.2.1 <dave@example.org> Mailbox temporarily unavailable\n");
  slapd_.stop();
  r = sieve({"list", "alice@example.org"});
  EXPECT_EQ(r.exit_code, EX_TEMPFAIL);
  EXPECT_NE(r.err.find("letterbox-sieve: 4.4.3 <alice@example.org> Directory unavailable, try again later\n"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(mail_root() / "example.org"));
}

TEST_F(SieveToolTest, OnlyTheDeliveryUserChangesScripts) {
  ASSERT_EQ(sieve({"put", "alice@example.org", "keep"}, "keep;\n").exit_code, EX_OK);
  write_file(config(), std::regex_replace(read_file(config()), std::regex("\nuser = [^\n]*\n"), "\nuser = root\n"));
  // Reading is anyone's who can; a change would leave a file delivery cannot read.
  EXPECT_EQ(sieve({"list", "alice@example.org"}).out, "\"keep\"\n");
  for (const auto& args : std::vector<std::vector<std::string>>{{"put", "alice@example.org", "x"},
                                                                {"activate", "alice@example.org", "keep"},
                                                                {"deactivate", "alice@example.org"},
                                                                {"delete", "alice@example.org", "keep"},
                                                                {"rename", "alice@example.org", "keep", "y"}}) {
    const auto r = sieve(args, "keep;\n");
    EXPECT_EQ(r.exit_code, EX_NOPERM) << args[0];
    EXPECT_EQ(r.err, "letterbox-sieve: refusing to change the scripts as uid " + std::to_string(::geteuid()) +
                         ": [server] user is 'root', and delivery could not read them; run as root or as that user\n")
        << args[0];
  }
  EXPECT_EQ(sieve({"list", "alice@example.org"}).out, "\"keep\"\n");
}

TEST_F(SieveToolTest, AUserDirectoryThroughASymlinkIsRefused) {
  std::filesystem::create_directories(tmp_ / "elsewhere");
  std::filesystem::create_directories(mail_root() / "example.org");
  std::filesystem::create_directory_symlink(tmp_ / "elsewhere", mail_root() / "example.org" / "alice");
  const auto r = sieve({"put", "alice@example.org", "x"}, "keep;\n");
  EXPECT_EQ(r.exit_code, EX_DATAERR);
  EXPECT_EQ(r.err,
            "letterbox-sieve: mailbox path " + (mail_root() / "example.org" / "alice").string() + " is a symlink\n");
  EXPECT_TRUE(std::filesystem::is_empty(tmp_ / "elsewhere"));
}
