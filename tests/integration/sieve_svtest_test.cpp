// `letterbox-sieve svtest`, the runner of Pigeonhole's test files, on small test files of our own (the
// suite itself is not in the repository: tests/sieve/README.md says how to run it): a passing test block,
// test_fail, test_set and the message it sets, the result after fileinto, the folder a result was executed
// into, and the extension refused everywhere but here.
#include <gtest/gtest.h>
#include <sysexits.h>

#include <filesystem>

#include "test_support.hpp"

using namespace letterbox;
using namespace letterbox::test;

namespace {

constexpr std::string_view kRequire = "require \"vnd.dovecot.testsuite\";\n";

class SvtestTest : public ::testing::Test {
 protected:
  SvtestTest() { write_file(config(), "[server]\nhostname = example.org\n"); }

  std::filesystem::path config() const { return tmp_ / "letterbox.conf"; }
  std::string file(const std::string& name, std::string_view text) const {
    const auto path = tmp_ / name;
    std::filesystem::create_directories(path.parent_path());
    write_file(path, std::string(text));
    return path.string();
  }

  SplitRunResult sieve(std::vector<std::string> args) {
    std::vector<std::string> argv{LETTERBOX_SIEVE_PATH, "-c", config().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_split(argv, "");
  }

  TempDir tmp_;
};

}  // namespace

TEST_F(SvtestTest, APassingTestBlock) {
  const auto suite = file("pass.svtest", std::string(kRequire) + R"(
test "truth holds" {
  if not true { test_fail "true was false"; }
  if false { test_fail "false was true"; }
}
)");
  const auto r = sieve({"svtest", suite});
  EXPECT_EQ(r.exit_code, EX_OK) << r.err;
  EXPECT_EQ(r.out, "PASS " + suite + "\n1 of 1 files passed\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(SvtestTest, TestFailNamesTheFirstFailingTestAndTheNextTestsStillRun) {
  const auto suite = file("fail.svtest", std::string(kRequire) + R"(
test "first" { }
test "second" { test_fail "the reason"; }
test "third" { test_fail "another reason"; }
)");
  const auto good = file("good.svtest", std::string(kRequire) + "test \"fine\" { }\n");
  const auto r = sieve({"svtest", good, suite});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "PASS " + good + "\nFAIL " + suite + ": test 'second': the reason\n1 of 2 files passed\n");
}

TEST_F(SvtestTest, TestSetMessageIsWhatTheHeaderTestSees) {
  const auto suite = file("message.svtest", std::string(kRequire) + R"(require "envelope";
test_set "message" text:
From: carol@example.com
To: dave@example.org
Subject: Quarterly figures

Numbers.
.
;
test_set "envelope.from" "erin@example.net";
test "header" {
  if not header :is "subject" "Quarterly figures" { test_fail "subject not seen"; }
  if header :contains "subject" "Test message" { test_fail "the default message is still there"; }
  if not envelope :is "from" "erin@example.net" { test_fail "envelope sender not set"; }
  if not envelope :is "to" "dave@example.org" { test_fail "recipient not taken from To"; }
}
)");
  const auto r = sieve({"svtest", suite});
  EXPECT_EQ(r.out, "PASS " + suite + "\n1 of 1 files passed\n") << r.err;
}

TEST_F(SvtestTest, TestResultActionAfterFileinto) {
  const auto suite = file("result.svtest", std::string(kRequire) + R"(require "fileinto";
require "relational";
require "comparator-i;ascii-numeric";
test "fileinto then keep" {
  fileinto "Lists";
  keep;
  if not test_result_action :count "eq" :comparator "i;ascii-numeric" "2" { test_fail "not two actions"; }
  if not test_result_action :index 1 "store" { test_fail "first is not store"; }
  if not test_result_action :index 2 "keep" { test_fail "second is not keep"; }
  test_result_reset;
  if test_result_action :index 1 "store" { test_fail "reset left the store"; }
}
test "a compiled script's result" {
  if not test_script_compile "scripts/redirect.sieve" { test_fail "does not compile"; }
  if not test_script_run { test_fail "does not run"; }
  if not test_result_action :index 1 "redirect" { test_fail "no redirect"; }
}
)");
  file("scripts/redirect.sieve", "redirect \"Frank <frank@example.org>\";\n");
  const auto r = sieve({"svtest", suite});
  EXPECT_EQ(r.out, "PASS " + suite + "\n1 of 1 files passed\n") << r.err;
}

TEST_F(SvtestTest, TestMessageFolderReadsWhatTheResultStored) {
  const auto suite = file("folder.svtest", std::string(kRequire) + R"(require "fileinto";
require "imap4flags";
test_set "message" text:
From: grace@example.com
To: heidi@example.org
Subject: Stored

Body.
.
;
test "stored and read back" {
  fileinto :flags "\\Seen" "Archive";
  if not test_result_execute { test_fail "execute failed"; }
  test_set "message" text:
From: ivan@example.com
Subject: Something else

.
;
  test_message :folder "Archive" 0;
  if not header :is "subject" "Stored" { test_fail "not the stored message"; }
  if not hasflag "\\seen" { test_fail "its flags were not stored"; }
  if test_message :folder "Archive" 1 { test_fail "a second message"; }
  test_message :folder "Archive" 1;
}
)");
  const auto r = sieve({"svtest", suite});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "FAIL " + suite + ": test 'stored and read back': no message in folder 'Archive' with index 1\n" +
                       "0 of 1 files passed\n");
}

TEST_F(SvtestTest, UnsupportedCommandsAndExtensionsAreNamed) {
  const auto metadata = file("metadata.svtest", std::string(kRequire) + "test_imap_metadata_set \"a\" \"b\";\n");
  const auto extension = file("editheader.svtest", std::string(kRequire) + "require \"editheader\";\n");
  const auto setting = file("setting.svtest", std::string(kRequire) + R"(
test "needs a setting" { test_config_set "sieve_editheader_max_header_size" "1024"; }
)");
  const auto r = sieve({"svtest", metadata, extension, setting});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "FAIL " + metadata + ": line 2: testsuite command \"test_imap_metadata_set\" is not supported\n" +
                       "FAIL " + extension + ": line 2: unknown extension \"editheader\"\n" + "FAIL " + setting +
                       ": test 'needs a setting': setting \"sieve_editheader_max_header_size\" is not supported\n" +
                       "0 of 3 files passed\n");
}

// Pigeonhole's tests/failures/ are scripts that must fail; the runner expects that of a folder so named.
TEST_F(SvtestTest, FilesInAFailuresFolderMustFail) {
  const auto fails = file("failures/crash.svtest", std::string(kRequire) + "test \"x\" { test_fail \"y\"; }\n");
  const auto passes = file("failures/fine.svtest", std::string(kRequire) + "test \"x\" { }\n");
  const auto r = sieve({"svtest", fails, passes});
  EXPECT_EQ(r.out, "PASS " + fails + "\nFAIL " + passes + ": expected to fail, but passed\n1 of 2 files passed\n");
}

TEST_F(SvtestTest, OnlySvtestKnowsTheTestsuiteExtension) {
  const auto script = file("suite.sieve", std::string(kRequire) + "test \"x\" { }\n");
  const auto checked = sieve({"check", script});
  EXPECT_EQ(checked.exit_code, 1);
  EXPECT_EQ(checked.err, script + ":1:9: unknown extension \"vnd.dovecot.testsuite\"\n" + script +
                             ":2:1: unknown command \"test\" (did you mean \"set\", with require \"variables\"?)\n");
  const auto message = file("message.eml", "From: a@example.org\nTo: b@example.org\n\nx\n");
  const auto tested = sieve({"test", script, message});
  EXPECT_EQ(tested.exit_code, 1);
  EXPECT_EQ(tested.err, checked.err);
}

TEST_F(SvtestTest, AFileThatCannotBeRead) {
  const auto missing = (tmp_ / "missing.svtest").string();
  const auto r = sieve({"svtest", missing});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "FAIL " + missing + ": cannot read the file\n0 of 1 files passed\n");
}
