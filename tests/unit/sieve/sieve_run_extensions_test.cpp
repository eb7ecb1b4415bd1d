// The interpreter on body (RFC 5173), date and index (RFC 5260), include (RFC 6609), duplicate (RFC 7352),
// environment (RFC 5183) and ihave (RFC 5463), asserted on the printed actions (docs/sieve.md).
#include "sieve_run_support.hpp"

namespace letterbox::sieve::testing {
namespace {

using SieveRunExtensions = SieveRun;

TEST_F(SieveRunExtensions, Rfc5173Body) {
  EXPECT_EQ(run(R"(require "body"; if body :contains "birdseed" { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(require "body"; if body :raw :contains "MAKE MONEY FAST" { discard; })"), "keep\n");
  EXPECT_EQ(run(R"(require "body"; if body :content "text" :contains "anvil" { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(require "body"; if body :content "image" :contains "" { discard; })"), "keep\n");
  // RFC 5173 §6: body does not set match variables.
  EXPECT_EQ(run(R"(require ["body", "variables", "fileinto"];
if header :matches "subject" "I have *" {}
if body :matches "*birdseed*" { fileinto "x${1}"; })"),
            "fileinto \"xa present for you\"\n");
}

// RFC 5260 §5's first example, with the business hours around the message's 10:00 +0100.
TEST_F(SieveRunExtensions, Rfc5260DateOriginalZone) {
  EXPECT_EQ(run(R"(require ["date", "relational", "fileinto"];
if allof(header :contains "from" "coyote@desert.example.org",
         date :value "ge" :originalzone "date" "hour" "09",
         date :value "lt" :originalzone "date" "hour" "17")
{ fileinto "urgent"; })"),
            "fileinto \"urgent\"\n");
}

// The local zone (+0100) by default, :zone otherwise; a Received field's date follows its ';'.
TEST_F(SieveRunExtensions, Rfc5260DateZones) {
  const auto holds = [&](std::string_view test) {
    return run(R"(require ["date", "index", "relational", "comparator-i;ascii-numeric"]; if )" + std::string(test) +
               " { discard; }");
  };
  EXPECT_EQ(holds(R"(date "date" "hour" "10")"), "discard\n");
  EXPECT_EQ(holds(R"(date :zone "-0500" "date" "time" "04:00:00")"), "discard\n");
  EXPECT_EQ(holds(R"(date :zone "+0000" "date" "iso8601" "2025-01-06T09:00:00Z")"), "discard\n");
  EXPECT_EQ(holds(R"(date "date" "weekday" "1")"), "discard\n");
  EXPECT_EQ(holds(R"(date "received" "date" "2025-01-07")"), "discard\n");  // the first Received
  EXPECT_EQ(holds(R"(date "x-nothing" "year" "2025")"), "keep\n");
  EXPECT_EQ(holds(R"(date :count "eq" :comparator "i;ascii-numeric" "date" "year" "1")"), "discard\n");
  EXPECT_EQ(holds(R"(date :count "eq" :comparator "i;ascii-numeric" "subject" "year" "0")"), "discard\n");
}

// RFC 5260 §6.1's example and :index/:last over several fields.
TEST_F(SieveRunExtensions, Rfc5260Index) {
  EXPECT_EQ(run(R"(require ["date", "relational", "index"];
if date :value "gt" :index 2 :zone "-0500" "received"
        "iso8601" "2007-02-26T09:00:00-05:00"
{ redirect "aftercutoff@example.org"; })"),
            "redirect \"aftercutoff@example.org\"\n");
  const auto holds = [&](std::string_view test) {
    return run(R"(require ["date", "index"]; if )" + std::string(test) + " { discard; }");
  };
  EXPECT_EQ(holds(R"(date :index 1 :last :zone "+0000" "received" "time" "09:00:05")"), "discard\n");
  EXPECT_EQ(holds(R"(header :index 2 :contains "received" "desert")"), "discard\n");
  EXPECT_EQ(holds(R"(header :index 1 :last :contains "received" "by mail.example.com")"), "keep\n");
  EXPECT_EQ(holds(R"(header :index 3 :contains ["received", "subject"] "present")"), "discard\n");
  EXPECT_EQ(holds(R"(address :index 2 :is ["from", "to"] "other@acme.example.com")"), "discard\n");
  EXPECT_EQ(holds(R"(header :index 9 :contains "received" "")"), "keep\n");
}

// RFC 5260 §5's currentdate example, moved to the test's "now" (2025-01-07T12:34:56Z).
TEST_F(SieveRunExtensions, Rfc5260Currentdate) {
  EXPECT_EQ(run(R"(require ["date", "relational", "vacation"];
if allof(currentdate :value "ge" "date" "2025-01-01",
         currentdate :value "le" "date" "2025-01-07")
{ vacation :days 7 :handle "july" "I'm away during the first week in July."; })"),
            "vacation :days 7 :handle \"july\" to \"coyote@desert.example.org\" \"I'm away during the first week in "
            "July.\"\nkeep\n");
  EXPECT_EQ(run(R"(require "date"; if currentdate "hour" "13" { discard; })"), "discard\n");
  EXPECT_EQ(
      run(R"(require "date"; if currentdate :zone "+0000" "std11" "Tue, 07 Jan 2025 12:34:56 +0000" { discard; })"),
      "discard\n");
}

class SieveRunInclude : public SieveRun {
 protected:
  void SetUp() override {
    // RFC 6609 §3.2's example repository.
    host.scripts[{IncludeLocation::personal, "always_allow"}] = R"(if address :is "from" "boss@example.com"
{
    keep;
}
elsif address :is "from" "ceo@example.com"
{
    keep;
})";
    host.scripts[{IncludeLocation::personal, "spam_tests"}] = R"(require ["reject"];
if header :contains "Subject" "XXXX"
{
    reject "Subject XXXX is unacceptable.";
}
elsif address :is "from" "money@example.com"
{
    reject "Mail from this sender is unwelcome.";
})";
    host.scripts[{IncludeLocation::personal, "mailing_lists"}] = R"(require ["fileinto"];
if header :is "List-ID" "sieve.ietf.org"
{
    fileinto "lists.sieve";
}
elsif header :is "List-ID" "ietf-imapext.imc.org"
{
    fileinto "lists.imapext";
})";
    host.scripts[{IncludeLocation::global, "spam_tests"}] = R"(require ["reject"];
if anyof (header :contains "Subject" "$$",
          header :contains "Subject" "Make money")
{
    reject "No thank you.";
})";
  }
  const std::string_view kDefault = rfc_example("rfc6609_include");
};

TEST_F(SieveRunInclude, Rfc6609Example) {
  EXPECT_EQ(run_on("From: boss@example.com\r\nList-ID: sieve.ietf.org\r\n\r\nx\r\n", kDefault),
            "keep\nfileinto \"lists.sieve\"\n");
  EXPECT_EQ(run_on("From: a@example.org\r\nList-ID: sieve.ietf.org\r\n\r\nx\r\n", kDefault),
            "fileinto \"lists.sieve\"\n");
  EXPECT_EQ(run_on("From: a@example.org\r\nSubject: Make money\r\n\r\nx\r\n", kDefault), "reject \"No thank you.\"\n");
  EXPECT_EQ(run_on("From: money@example.com\r\n\r\nx\r\n", kDefault),
            "reject \"Mail from this sender is unwelcome.\"\n");
}

// RFC 6609 §3.4.1's example of global variables.
TEST_F(SieveRunInclude, Rfc6609GlobalVariables) {
  host.scripts[{IncludeLocation::personal, "subject_tests"}] = R"(require ["include", "variables"];
global ["test", "test_mailbox"];
if header :contains "Subject" "${test}"
{
    set "test_mailbox" "spam-${test}";
})";
  const std::string_view script = R"(require ["fileinto", "include", "variables", "relational"];
global "test";
global "test_mailbox";
set "test" "$$";
include "subject_tests";
set "test" "Make money";
include "subject_tests";
if string :count "eq" "${test_mailbox}" "1"
{
    fileinto "${test_mailbox}";
    stop;
})";
  EXPECT_EQ(run_on("Subject: Make money fast\r\n\r\nx\r\n", script), "fileinto \"spam-Make money\"\n");
  EXPECT_EQ(run_on("Subject: hello\r\n\r\nx\r\n", script), "keep\n");
  // ${global.name} reads the global variable in a script that did not declare it.
  host.scripts[{IncludeLocation::personal, "setter"}] = R"(require ["include", "variables"];
global "where"; set "where" "Lists";)";
  EXPECT_EQ(run(R"(require ["include", "variables", "fileinto"];
include "setter"; fileinto "${global.where}${where}";)"),
            "fileinto \"Lists\"\n");
}

// RFC 6609 §3.5: `set "global.NAME"` sets the global variable without declaring it, seen by a script that
// declares NAME global (Pigeonhole's include/variables.svtest); without include it is no valid name.
TEST_F(SieveRunInclude, Rfc6609GlobalNamespaceSet) {
  host.scripts[{IncludeLocation::personal, "reader"}] = R"(require ["include", "variables", "fileinto"];
global "where"; fileinto "${where}"; set "global.Back" "yes";)";
  EXPECT_EQ(run(R"(require ["include", "variables", "fileinto"];
set "global.where" "Lists"; include "reader"; fileinto "${global.back}";)"),
            "fileinto \"Lists\"\nfileinto \"yes\"\n");
  const auto without_include = compile(R"(require "variables"; set "global.where" "Lists";)");
  ASSERT_EQ(without_include.errors.size(), 1U);
  EXPECT_EQ(without_include.errors.front().message, "invalid variable name \"global.where\"");
}

// RFC 6609 §3.1-§3.4: recursion, missing scripts, :once, :optional, return and stop, depth, and a
// variable declared global after it was set.
TEST_F(SieveRunInclude, Rfc6609Rules) {
  host.scripts[{IncludeLocation::personal, "self"}] = "require \"include\";\ninclude \"self\";";
  EXPECT_EQ(run("require \"include\";\ninclude \"self\";"),
            "error 2:1: script \"self\" includes itself (recursive include)\nkeep\n");
  const auto r = result("require \"include\";\ninclude \"self\";");
  EXPECT_EQ(r.error->included, ":personal \"self\"");
  host.scripts[{IncludeLocation::personal, "once"}] = "require \"include\";\ninclude :once \"once\"; discard;";
  EXPECT_EQ(run("require \"include\";\ninclude \"once\";"), "discard\n");
  EXPECT_EQ(run("require \"include\";\ninclude :global \"nothing\";"),
            "error 2:1: included script :global \"nothing\" does not exist\nkeep\n");
  EXPECT_EQ(run(R"(require "include"; include :optional "nothing"; discard;)"), "discard\n");
  host.scripts[{IncludeLocation::personal, "ret"}] = R"(require "include"; return; discard;)";
  EXPECT_EQ(run(R"(require ["include", "fileinto"]; include "ret"; fileinto "Lists";)"), "fileinto \"Lists\"\n");
  host.scripts[{IncludeLocation::personal, "stop"}] = "stop;";
  EXPECT_EQ(run(R"(require ["include", "fileinto"]; include "stop"; fileinto "Lists";)"), "keep\n");
  EXPECT_EQ(run(R"(require "include"; return; discard;)"), "keep\n");
  host.scripts[{IncludeLocation::personal, "a"}] = "require \"include\";\ninclude \"b\";";
  host.scripts[{IncludeLocation::personal, "b"}] = "discard;";
  input.limits.max_include_depth = 2;
  EXPECT_EQ(run("require \"include\";\ninclude \"a\";"), "error 2:1: includes nested more than 2 deep\nkeep\n");
  EXPECT_EQ(run("require [\"include\", \"variables\"];\nset \"x\" \"1\";\nglobal \"x\";"),
            "error 3:1: variable \"x\" is declared global after it was set\nkeep\n");
  host.scripts[{IncludeLocation::personal, "broken"}] = "frobnicate;";
  EXPECT_EQ(run("require \"include\";\ninclude \"broken\";"),
            "error 2:1: included script :personal \"broken\" cannot be used: unknown command \"frobnicate\"\nkeep\n");
}

// RFC 7352 §3's basic form: the Message-ID, recorded only once the run succeeded.
TEST_F(SieveRunExtensions, Rfc7352Duplicate) {
  const std::string_view script = rfc_example("rfc7352_duplicate");
  const auto first = result(script);
  EXPECT_EQ(print_run_result(first), "keep\n");
  ASSERT_EQ(first.duplicates.size(), 1u);
  EXPECT_EQ(first.duplicates[0], (DuplicateMark{"", "<1234@desert.example.org>", 7 * 86400, false}));
  host.seen.insert({"", "<1234@desert.example.org>"});
  EXPECT_EQ(run(script), "fileinto :create \"Trash/Duplicate\"\n");
  EXPECT_EQ(host.duplicate_queries.back(), "|<1234@desert.example.org>|604800");
}

// RFC 7352 §3.1-§3.3: :header and :uniqueid, :handle, :seconds (0: false; over the maximum: the maximum).
TEST_F(SieveRunExtensions, Rfc7352Arguments) {
  input.message = "Subject: ALERT: disk full\r\nX-Event-ID: 17\r\n\r\nx\r\n";
  const auto r = result(R"(require ["duplicate", "variables", "imap4flags"];
if header :matches "subject" "ALERT: *" {
    if duplicate :seconds 60 :uniqueid "${1}" { setflag "\\seen"; }
    if duplicate :seconds 60 :uniqueid "${1}" { setflag "\\seen"; }
}
if duplicate :header "X-Event-ID" :handle "notifier" :seconds 9999999 :last { discard; }
if duplicate :header "X-Nothing" { discard; }
if duplicate :uniqueid "zero" :seconds 0 { discard; })");
  EXPECT_EQ(print_run_result(r), "keep\n");
  EXPECT_EQ(r.duplicates, (std::vector<DuplicateMark>{{"", "disk full", 60, false}, {"notifier", "17", 604800, true}}));
  host.seen.insert({"notifier", "17"});
  EXPECT_EQ(run(R"(require "duplicate"; if duplicate :header "x-event-id" :handle "notifier" { discard; })"),
            "discard\n");
  // A failed run records nothing (RFC 7352 §3).
  EXPECT_TRUE(result(R"(require ["duplicate", "ihave"]; if duplicate { } error "no";)").duplicates.empty());
}

// RFC 5183 §4.1's items; an unknown one makes the test false, never an error.
TEST_F(SieveRunExtensions, Rfc5183Environment) {
  const auto holds = [&](std::string_view test) {
    return run(R"(require ["environment", "relational"]; if )" + std::string(test) + " { discard; }");
  };
  EXPECT_EQ(holds(R"(environment :is "location" "MDA")"), "discard\n");
  EXPECT_EQ(holds(R"(environment :is "phase" "during")"), "discard\n");
  EXPECT_EQ(holds(R"(environment :is "name" "Letterbox")"), "discard\n");
  EXPECT_EQ(holds(R"(environment :is "version" "1.0")"), "discard\n");
  EXPECT_EQ(holds(R"(environment :is "domain" "example.com")"), "discard\n");
  EXPECT_EQ(holds(R"(environment :matches "host" "*.example.com")"), "discard\n");
  EXPECT_EQ(holds(R"(environment :contains "item" "")"), "keep\n");
  EXPECT_EQ(holds(R"(environment :contains "remote-host" "")"), "keep\n");
  EXPECT_EQ(holds(R"(environment :count "eq" "host" "1")"), "discard\n");
  input.environment.remote_ip = "192.0.2.1";
  EXPECT_EQ(holds(R"(environment :is "remote-ip" "192.0.2.1")"), "discard\n");
}

// RFC 5463 §4, §5: ihave tells what this implementation has; error ends the run.
TEST_F(SieveRunExtensions, Rfc5463Ihave) {
  EXPECT_EQ(run(R"(require "ihave"; if ihave "fileinto" { fileinto "Lists"; })"), "fileinto \"Lists\"\n");
  EXPECT_EQ(run(R"(require "ihave"; if ihave ["fileinto", "x-unknown"] { fileinto "Lists"; } else { discard; })"),
            "discard\n");
  EXPECT_EQ(run("require \"ihave\";\nif not ihave \"x-foo\" {\n  error \"x-foo is needed\";\n}"),
            "error 3:3: x-foo is needed\nkeep\n");
}

}  // namespace
}  // namespace letterbox::sieve::testing
