// The interpreter on RFC 5228 (control, actions, tests, implicit keep, errors), copy (RFC 3894) and the
// run's limits. Each test asserts the printed actions (docs/sieve.md).
#include "sieve_run_support.hpp"

namespace letterbox::sieve::testing {
namespace {

using SieveRunCore = SieveRun;

TEST_F(SieveRunCore, EmptyScriptKeeps) {
  EXPECT_EQ(run(""), "keep\n");
}

// RFC 5228 §2.10.2: "if size :over 500K { discard; }" on a short message: the implicit keep.
TEST_F(SieveRunCore, Rfc5228ImplicitKeepExample) {
  EXPECT_EQ(run("if size :over 500K { discard; }"), "keep\n");
  EXPECT_EQ(run("if size :under 500K { discard; }"), "discard\n");
}

// RFC 5228 §3.1's example: from "coyote" is discarded.
TEST_F(SieveRunCore, Rfc5228IfElsifElse) {
  const std::string_view script = rfc_example("rfc5228_3_1_if");
  EXPECT_EQ(run(script), "discard\n");
  EXPECT_EQ(run_on("From: tweety@cage.example.org\r\nSubject: $$$ now\r\n\r\nbody\r\n", script), "discard\n");
  EXPECT_EQ(run_on("From: tweety@cage.example.org\r\nSubject: hello\r\n\r\nbody\r\n", script),
            "fileinto \"INBOX\"\n");  // the keep's store, printed with the name the script gave
}

TEST_F(SieveRunCore, StopEndsTheScriptWithTheImplicitKeep) {
  EXPECT_EQ(run("stop; discard;"), "keep\n");
  EXPECT_EQ(run(R"(require "fileinto"; fileinto "Junk"; stop; redirect "a@example.org";)"), "fileinto \"Junk\"\n");
}

// RFC 5228 §4.2: redirect cancels the implicit keep; two of them, both sent.
TEST_F(SieveRunCore, Rfc5228Redirect) {
  EXPECT_EQ(run_on("X-Opt-In: yes\r\n\r\nhi\r\n", rfc_example("rfc5228_4_2_redirect")),
            "redirect \"bart@example.com\"\nredirect \"homer@example.com\"\n");
}

// RFC 5228 §2.10.3: one copy per mailbox or address, however often the script asks.
TEST_F(SieveRunCore, DuplicateActionsAreOne) {
  EXPECT_EQ(run(R"(require "fileinto"; fileinto "Lists"; fileinto "Lists"; keep; fileinto "inbox"; keep;)"),
            "fileinto \"Lists\"\nkeep\n");
  // The domain is compared without case, the local part with it (RFC 5321 §2.4).
  EXPECT_EQ(run(R"(redirect "a@example.org"; redirect "a@EXAMPLE.org"; redirect "A@example.org";)"),
            "redirect \"a@example.org\"\nredirect \"A@example.org\"\n");
}

// RFC 5228 §4.3, §4.4: keep cancels the implicit keep (one store), discard cancels only the implicit keep.
// Deliberately unlike Pigeonhole's sieve-test, which lists "discard" next to "store message in folder:
// INBOX" for "keep; discard;": the result says what becomes of the message, so discard shows only when
// nothing stores, sends or refuses it.
TEST_F(SieveRunCore, KeepAndDiscard) {
  EXPECT_EQ(run("keep;"), "keep\n");
  EXPECT_EQ(run("keep; discard;"), "keep\n");
  EXPECT_EQ(run("discard; keep;"), "keep\n");
  EXPECT_EQ(run("discard;"), "discard\n");
}

// RFC 3894: :copy leaves the implicit keep in effect.
TEST_F(SieveRunCore, Rfc3894Copy) {
  EXPECT_EQ(run(R"(require ["copy", "fileinto"]; fileinto :copy "Lists"; redirect :copy "b@example.org";)"),
            "fileinto \"Lists\"\nredirect \"b@example.org\"\nkeep\n");
  EXPECT_EQ(run(R"(require ["copy", "fileinto"]; fileinto :copy "Lists"; redirect "b@example.org";)"),
            "fileinto \"Lists\"\nredirect \"b@example.org\"\n");
  // A copy into the inbox and the implicit keep are one store (RFC 5228 §2.10.3); Pigeonhole's sieve-test
  // lists two stores into INBOX here, and stores once.
  EXPECT_EQ(run(R"(require ["copy", "fileinto"]; fileinto :copy "INBOX";)"), "fileinto \"INBOX\"\n");
  EXPECT_EQ(run(R"(require ["fileinto", "mailbox"]; keep; fileinto :create "inbox";)"), "keep\n");
}

// RFC 5228 §5.1, §2.7.4: address parts of every address in the named fields.
TEST_F(SieveRunCore, AddressTest) {
  EXPECT_EQ(run(R"(if address :is :all "from" "coyote@desert.example.org" { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(if address :domain :is "to" "ACME.example.com" { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(if address :localpart :is "to" "other" { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(if address :is ["cc", "bcc"] "boss@example.edu" { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(if address :contains "from" "Coyote\"" { discard; })"), "keep\n");  // no display name
}

TEST_F(SieveRunCore, HeaderExistsAndSize) {
  EXPECT_EQ(run(R"(if header :is "x-caffeine" "C8H10N4O2" { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(if header :comparator "i;octet" :is "x-caffeine" "c8h10n4o2" { discard; })"), "keep\n");
  EXPECT_EQ(run(R"(if exists ["From", "Date"] { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(if exists ["From", "X-Nothing"] { discard; })"), "keep\n");
  EXPECT_EQ(run(R"(if size :over 100 { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(if size :over 1M { discard; })"), "keep\n");
  EXPECT_EQ(run(R"(if not size :under 1M { discard; })"), "keep\n");
}

TEST_F(SieveRunCore, AllofAnyofNot) {
  EXPECT_EQ(run(R"(if allof (true, exists "From", not false) { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(if allof (true, false) { discard; })"), "keep\n");
  EXPECT_EQ(run(R"(if anyof (false, header :contains "Subject" "present") { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(if anyof (false, false) { discard; })"), "keep\n");
}

// RFC 5228 §5.4: the envelope's parts; the null reverse path is "" whatever the address part.
TEST_F(SieveRunCore, EnvelopeTest) {
  EXPECT_EQ(run(R"(require "envelope"; if envelope :domain "from" "desert.example.org" { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(require "envelope"; if envelope :is "to" "roadrunner+tricks@acme.example.com" { discard; })"),
            "discard\n");
  input.envelope.from = "";
  EXPECT_EQ(run(R"(require "envelope"; if envelope :localpart :is "from" "" { discard; })"), "discard\n");
}

// RFC 5228 §2.7.3: i;ascii-numeric compares numbers; a string without digits is infinity.
TEST_F(SieveRunCore, AsciiNumericComparator) {
  input.message = "X-Spam-Score: 12\r\n\r\nx\r\n";
  EXPECT_EQ(run(R"(require ["comparator-i;ascii-numeric", "relational"];
if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "5" { discard; })"),
            "discard\n");
  EXPECT_EQ(run(R"(require "comparator-i;ascii-numeric";
if header :is :comparator "i;ascii-numeric" "x-spam-score" "012" { discard; })"),
            "discard\n");
}

// RFC 5228 §2.10.6: a run-time error keeps the message and nothing else.
TEST_F(SieveRunCore, RunTimeErrorFallsBackToKeep) {
  input.limits.max_redirects = 1;
  EXPECT_EQ(run("discard;\nredirect \"a@example.org\";\nredirect \"b@example.org\";"),
            "error 3:1: more than 1 redirects (max_redirects)\nkeep\n");
}

TEST_F(SieveRunCore, TooManyActions) {
  input.limits.max_actions = 2;
  EXPECT_EQ(run(R"(require "fileinto"; fileinto "A"; fileinto "B"; fileinto "C";)"),
            "error 1:49: more than 2 actions (max_actions)\nkeep\n");
  // A duplicate is not another action.
  EXPECT_EQ(run(R"(require "fileinto"; fileinto "A"; fileinto "B"; fileinto "A";)"),
            "fileinto \"A\"\nfileinto \"B\"\n");
}

// The CPU budget is checked before each command and test: the clock read at the start, by the outer if
// and by its test is still at 0; the inner if finds it past the budget.
TEST_F(SieveRunCore, CpuTimeLimit) {
  int calls = 0;
  input.environment.cpu_clock = [&] { return std::chrono::seconds(calls++ < 3 ? 0 : 5); };
  EXPECT_EQ(run("if true {\n  if true {\n    discard;\n  }\n}\n"),
            "error 2:3: the script used more than 2000 ms of CPU time (max_cpu_time)\nkeep\n");
}

// The thread's real CPU clock, which in_time reads only once the wall-clock time since its last reading
// could exceed the budget: a script that needs far more than 1 ms of CPU still stops with the error.
TEST_F(SieveRunCore, CpuTimeLimitOnTheThreadsClock) {
  input.limits.max_cpu_time = std::chrono::milliseconds(1);
  const std::string message = "Subject: " + std::string(16 * 1024, 'x') + "\r\n\r\nbody\r\n";
  std::string keys;
  for (int i = 0; i < 200; ++i) keys += std::string(keys.empty() ? "" : ", ") + "\"y" + std::to_string(i) + "\"";
  std::string script;
  for (int i = 0; i < 100; ++i) script += "if header :contains \"subject\" [" + keys + "] { discard; }\n";
  const auto printed = run_on(message, script);
  EXPECT_TRUE(printed.starts_with("error ")) << printed;
  EXPECT_NE(printed.find("the script used more than 1 ms of CPU time (max_cpu_time)\nkeep\n"), std::string::npos)
      << printed;
}

TEST_F(SieveRunCore, RedirectAddressCheckedAfterExpansion) {
  EXPECT_EQ(run(R"(require "variables"; set "a" "not an address"; redirect "${a}";)"),
            "error 1:48: invalid redirect address \"not an address\"\nkeep\n");
}

// RFC 5228 §2.4.2.3: an address may carry a name in front of it, and white space around its parts (Pigeonhole's
// tests); the MTA gets the bare address, quotes that add nothing dropped.
TEST_F(SieveRunCore, RedirectAddressWithNameOrBlanks) {
  EXPECT_EQ(run(R"(redirect "  Judy Smith  <  judy  @  example.org  > ";)"), "redirect \"judy@example.org\"\n");
  EXPECT_EQ(run(R"(redirect "\"J. Smith\" <\"J.Smith\"@example.net>";)"), "redirect \"J.Smith@example.net\"\n");
  EXPECT_EQ(run(R"(redirect "\"a[b]c\"@example.net";)"), "redirect \"\\\"a[b]c\\\"@example.net\"\n");
  EXPECT_EQ(run(R"(require "variables"; set "a" "Name <a@example.org>"; redirect "${a}";)"),
            "redirect \"a@example.org\"\n");
  EXPECT_EQ(run(R"(require "variables"; set "a" "x@y, <a@example.org>"; redirect "${a}";)"),
            "error 1:54: invalid redirect address \"x@y, <a@example.org>\"\nkeep\n");
}

TEST_F(SieveRunCore, ResultMarksTheImplicitKeep) {
  const auto r = result(R"(require "fileinto";
fileinto "Lists";)");
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_EQ(r.actions[0].where, (Position{2, 1}));
  EXPECT_FALSE(r.actions[0].implicit);
  const auto k = result("");
  ASSERT_EQ(k.actions.size(), 1u);
  EXPECT_TRUE(k.actions[0].implicit);
  EXPECT_TRUE(k.ok());
  EXPECT_FALSE(k.discarded());
  EXPECT_TRUE(result("discard;").discarded());
}

}  // namespace
}  // namespace letterbox::sieve::testing
