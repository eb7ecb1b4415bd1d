// run_sequence: the administrator's `before` scripts, the user's and the `after` ones chained as
// Pigeonhole's sieve_before/sieve_after do (interpreter.hpp). Each case was run with Pigeonhole's
// `sieve-test -s before.sieve user.sieve` and gives the same actions.
#include "sieve_run_support.hpp"

namespace letterbox::sieve::testing {
namespace {

using SieveRunSequence = SieveRun;

// The next script runs only while a keep is in effect: a discard ends the sequence.
TEST_F(SieveRunSequence, CancelledKeepEndsTheSequence) {
  EXPECT_EQ(run_sequence({"discard; stop;", R"(require "fileinto"; fileinto "Lists";)"}), "discard\n");
  EXPECT_EQ(run_sequence({R"(redirect "a@example.org";)", "discard;"}), "redirect \"a@example.org\"\n");
  EXPECT_EQ(run_sequence({R"(require "fileinto"; fileinto "Junk";)", "discard;", "keep;"}), "fileinto \"Junk\"\n");
}

// stop ends one script; the next runs since the keep is in effect. Actions add up.
TEST_F(SieveRunSequence, StopEndsOneScript) {
  EXPECT_EQ(run_sequence({R"(require ["fileinto", "copy"]; fileinto :copy "Junk"; stop;)",
                          R"(require "fileinto"; fileinto "Lists";)"}),
            "fileinto \"Junk\"\nfileinto \"Lists\"\n");
  EXPECT_EQ(run_sequence({"stop;", "", "discard;"}), "discard\n");
}

// An explicit keep before the last script only lets the sequence go on.
TEST_F(SieveRunSequence, KeepOnlyContinues) {
  EXPECT_EQ(run_sequence({"keep;", R"(require "fileinto"; fileinto "Lists";)"}), "fileinto \"Lists\"\n");
  EXPECT_EQ(run_sequence({"keep;", ""}), "keep\n");
  EXPECT_EQ(run_sequence({R"(require "fileinto"; fileinto "INBOX";)"}), "fileinto \"INBOX\"\n");
}

// The internal flag variable is shared; other variables are not, global ones included.
TEST_F(SieveRunSequence, FlagsCarryVariablesDoNot) {
  EXPECT_EQ(run_sequence({R"(require "imap4flags"; addflag "a";)", R"(require "imap4flags"; addflag "b";)"}),
            "keep :flags [\"a\", \"b\"]\n");
  EXPECT_EQ(run_sequence({R"(require "imap4flags"; addflag "a";)", R"(require "fileinto"; fileinto "X";)"}),
            "fileinto :flags [\"a\"] \"X\"\n");
  EXPECT_EQ(run_sequence({R"(require ["include", "variables"]; global "x"; set "x" "Lists";)",
                          R"(require ["include", "variables", "fileinto"]; global "x"; fileinto "a${x}";)"}),
            "fileinto \"a\"\n");
}

// A second vacation in a later script is dropped, not an error.
TEST_F(SieveRunSequence, LaterVacationDropped) {
  EXPECT_EQ(run_sequence({R"(require "vacation"; vacation :handle "a" "a";)",
                          R"(require "vacation"; vacation :handle "b" "b";)"}),
            "vacation :days 7 :handle \"a\" to \"coyote@desert.example.org\" \"a\"\nkeep\n");
}

// An error keeps what the scripts before did, drops the failed script's actions, and keeps the message.
TEST_F(SieveRunSequence, ErrorKeepsEarlierActions) {
  const auto r = [&] {
    const auto before = compiled(R"(require ["fileinto", "copy"]; fileinto :copy "Junk";)");
    const auto user = compiled("require [\"ihave\", \"fileinto\"];\nfileinto \"Lists\";\nerror \"boom\";");
    const Script* scripts[] = {before.get(), user.get()};
    return sieve::run_sequence(scripts, input);
  }();
  EXPECT_EQ(print_run_result(r), "error 3:1: boom\nfileinto \"Junk\"\nkeep\n");
  EXPECT_EQ(r.error->script, 1u);
}

// The limits count for the whole sequence.
TEST_F(SieveRunSequence, LimitsAddUp) {
  input.limits.max_redirects = 1;
  EXPECT_EQ(run_sequence({R"(require "copy"; redirect :copy "a@example.org";)", R"(redirect "b@example.org";)"}),
            "error 1:1: more than 1 redirects (max_redirects)\nredirect \"a@example.org\"\nkeep\n");
}

}  // namespace
}  // namespace letterbox::sieve::testing
