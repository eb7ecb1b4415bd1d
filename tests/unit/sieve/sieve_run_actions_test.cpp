// The interpreter's actions of the extensions: reject/ereject (RFC 5429), vacation (RFC 5230, RFC 6131),
// imap4flags (RFC 5232) and mailbox (RFC 5490). Each test asserts the printed actions (docs/sieve.md).
#include "sieve_run_support.hpp"

namespace letterbox::sieve::testing {
namespace {

using SieveRunActions = SieveRun;

// ereject is offered (SPEC's list); Debian's Pigeonhole does not enable it by default.
TEST_F(SieveRunActions, Rfc5429RejectAndEreject) {
  EXPECT_EQ(run(R"(require "reject"; reject "no";)"), "reject \"no\"\n");
  input.envelope.from = "someone@example.com";
  input.message = "From: someone@example.com\r\n\r\nhi\r\n";
  EXPECT_EQ(run(R"(require ["ereject"];
if address "from" "someone@example.com" {
    ereject "I no longer accept mail from this address";
})"),
            "ereject \"I no longer accept mail from this address\"\n");
}

// RFC 5429 §2.4: one reject per script, never with vacation, and (as Pigeonhole) never with an action
// that delivers the message. discard and the flags do not conflict.
TEST_F(SieveRunActions, Rfc5429RejectStandsAlone) {
  EXPECT_EQ(run("require [\"reject\", \"fileinto\"];\nfileinto \"Lists\";\nreject \"no\";"),
            "error 3:1: reject cannot be combined with the fileinto at line 2\nkeep\n");
  EXPECT_EQ(run("require [\"reject\", \"fileinto\"];\nreject \"no\";\nfileinto \"Lists\";"),
            "error 3:1: fileinto cannot be combined with the reject at line 2\nkeep\n");
  EXPECT_EQ(run("require \"reject\";\nkeep;\nreject \"no\";"),
            "error 3:1: reject cannot be combined with the keep at line 2\nkeep\n");
  EXPECT_EQ(run("require [\"reject\", \"copy\"];\nredirect :copy \"a@example.org\";\nreject \"no\";"),
            "error 3:1: reject cannot be combined with the redirect at line 2\nkeep\n");
  EXPECT_EQ(run("require [\"reject\", \"vacation\"];\nvacation \"away\";\nreject \"no\";"),
            "error 3:1: reject cannot be combined with the vacation at line 2\nkeep\n");
  EXPECT_EQ(run("require [\"reject\", \"ereject\"];\nreject \"a\";\nereject \"b\";"),
            "error 3:1: only one reject or ereject may be performed (the first is at line 2)\nkeep\n");
  EXPECT_EQ(run(R"(require ["reject", "imap4flags"]; discard; addflag "x"; reject "no";)"), "reject \"no\"\n");
}

// Without :handle the response is named as Pigeonhole names it, from the expanded arguments
// (tests/sieve/README.md): reason, subject, from, MIME.
TEST_F(SieveRunActions, Rfc5230VacationDefaults) {
  EXPECT_EQ(run(R"(require "vacation"; vacation "I'm away";)"),
            "vacation :days 7 :handle \"I'm away<default-subject><default-from><NO-MIME>\" to "
            "\"coyote@desert.example.org\" \"I'm away\"\nkeep\n");
}

// RFC 5230 §4.8's first example; a quoted string's line break is printed encoded.
TEST_F(SieveRunActions, Rfc5230Example) {
  EXPECT_EQ(
      run(R"(require "vacation";
vacation :days 23 :addresses ["tjs@example.edu",
                              "ts4z@landru.example.edu"]
   "I'm away until October 19.
If it's an emergency, call 911, I guess." ;)"),
      "vacation :days 23 :handle \"I'm away until October 19.${hex:0D}${hex:0A}If it's an emergency, call 911, I "
      "guess.<default-subject><default-from><NO-MIME>\" to \"coyote@desert.example.org\" \"I'm away until October "
      "19.${hex:0D}${hex:0A}If it's an emergency, call 911, I guess.\"\nkeep\n");
  const auto r = result(R"(require "vacation"; vacation :days 23 :addresses ["tjs@example.edu"] "x";)");
  const auto& v = std::get<VacationAction>(r.actions.front().what);
  EXPECT_EQ(v.addresses, (std::vector<std::string>{"tjs@example.edu"}));
  EXPECT_EQ(v.recipient, "roadrunner+tricks@acme.example.com");
  EXPECT_EQ(v.period, 23u * 86400);
}

// docs/sieve.md's example, which must print exactly as the document shows.
TEST_F(SieveRunActions, DocumentedExample) {
  input.envelope.from = "alice@example.org";
  input.message = "From: alice@example.org\r\nSubject: hi\r\n\r\nx\r\n";
  EXPECT_EQ(run(R"(require ["fileinto", "imap4flags", "vacation"];
if header :contains "List-Id" "dev" { fileinto :flags "\\Seen" "Lists/dev"; stop; }
vacation "I am away until Monday.";)"),
            "vacation :days 7 :handle \"I am away until Monday.<default-subject><default-from><NO-MIME>\" to "
            "\"alice@example.org\" \"I am away until Monday.\"\nkeep\n");
  input.message = "List-Id: dev list <dev.example.org>\r\n\r\nx\r\n";
  EXPECT_EQ(run(R"(require ["fileinto", "imap4flags", "vacation"];
if header :contains "List-Id" "dev" { fileinto :flags "\\Seen" "Lists/dev"; stop; }
vacation "I am away until Monday.";)"),
            "fileinto :flags [\"\\\\Seen\"] \"Lists/dev\"\n");
}

TEST_F(SieveRunActions, Rfc5230AllArguments) {
  EXPECT_EQ(run(R"(require "vacation";
vacation :days 3 :subject "Gone" :from "Road Runner <rr@acme.example.com>" :handle "beach" :mime
  "Content-Type: text/plain

Back soon.";)"),
            "vacation :days 3 :subject \"Gone\" :from \"Road Runner <rr@acme.example.com>\" :handle \"beach\" :mime "
            "to \"coyote@desert.example.org\" \"Content-Type: text/plain${hex:0D}${hex:0A}${hex:0D}${hex:0A}Back "
            "soon.\"\nkeep\n");
}

// RFC 5230 §4.1: :days below the minimum or above the maximum is moved to the bound.
TEST_F(SieveRunActions, Rfc5230DaysClamped) {
  EXPECT_EQ(run(R"(require "vacation"; vacation :days 365 :handle "h" "x";)").substr(0, 18), "vacation :days 60 ");
  input.limits.vacation_min_period = 2 * 86400;
  EXPECT_EQ(run(R"(require "vacation"; vacation :days 1 :handle "h" "x";)").substr(0, 17), "vacation :days 2 ");
}

// RFC 6131: :seconds, within the site's bounds; 0 stays 0 only where the site allows it.
TEST_F(SieveRunActions, Rfc6131Seconds) {
  const std::string_view script = R"(require "vacation-seconds"; vacation :seconds 1800 :handle "m" "In a meeting";)";
  EXPECT_EQ(run(script),
            "vacation :seconds 86400 :handle \"m\" to \"coyote@desert.example.org\" \"In a meeting\"\nkeep\n");
  input.limits.vacation_min_period = 0;
  EXPECT_EQ(run(script),
            "vacation :seconds 1800 :handle \"m\" to \"coyote@desert.example.org\" \"In a meeting\"\nkeep\n");
  EXPECT_EQ(run(R"(require "vacation-seconds"; vacation :seconds 0 :handle "m" "ack";)"),
            "vacation :seconds 0 :handle \"m\" to \"coyote@desert.example.org\" \"ack\"\nkeep\n");
}

// RFC 5230 §4.2: without :handle, the response is identified by its arguments as they are sent, after
// expansion (tests/sieve/README.md, pair 059): another subject is another response; another reason, or
// the same text as subject instead of reason, too.
TEST_F(SieveRunActions, Rfc5230HandleFromExpandedArguments) {
  const std::string_view script = R"(require ["vacation", "variables"];
if header :matches "subject" "*" {
    vacation :subject "Automatic response to: ${1}"
             "I'm away -- send mail to foo in my absence";
})";
  const auto handle_of = [&](const RunResult& r) { return std::get<VacationAction>(r.actions.front().what).handle; };
  input.message = "Subject: lunch\r\n\r\nx\r\n";
  EXPECT_EQ(handle_of(result(script)),
            "I'm away -- send mail to foo in my absenceAutomatic response to: lunch<default-from><NO-MIME>");
  input.message = "Subject: something else\r\n\r\nx\r\n";
  EXPECT_EQ(handle_of(result(script)),
            "I'm away -- send mail to foo in my absenceAutomatic response to: something else<default-from><NO-MIME>");
  EXPECT_NE(handle_of(result(R"(require "vacation"; vacation "I'm out -- send mail to cyrus-bugs";)")),
            handle_of(result(R"(require "vacation"; vacation "I'm out -- call me at +1 304 555 0123";)")));
  EXPECT_NE(handle_of(result(R"(require "vacation"; vacation :subject "a" "";)")),
            handle_of(result(R"(require "vacation"; vacation "a";)")));
  EXPECT_EQ(handle_of(result(R"(require "vacation"; vacation :from "me@example.org" :mime "r";)")),
            "r<default-subject>me@example.org<MIME>");
}

// RFC 5230 §4.7: one vacation per script; vacation with discard, keep, fileinto, redirect is fine.
TEST_F(SieveRunActions, Rfc5230VacationOnce) {
  EXPECT_EQ(run("require \"vacation\";\nvacation :handle \"a\" \"a\";\nvacation :handle \"b\" \"b\";"),
            "error 3:1: only one vacation may be performed (the first is at line 2)\nkeep\n");
  EXPECT_EQ(run(R"(require "vacation"; vacation :handle "a" "a"; discard;)"),
            "vacation :days 7 :handle \"a\" to \"coyote@desert.example.org\" \"a\"\n");
  EXPECT_EQ(run(R"(require "vacation"; redirect "b@example.org"; vacation :handle "a" "a";)"),
            "redirect \"b@example.org\"\nvacation :days 7 :handle \"a\" to \"coyote@desert.example.org\" \"a\"\n");
}

// RFC 5230 §4.3: a :from that is not an address once expanded is dropped, not an error.
TEST_F(SieveRunActions, VacationFromCheckedAfterExpansion) {
  EXPECT_EQ(run(R"(require ["vacation", "variables"]; set "f" "nobody"; vacation :from "${f}" :handle "h" "x";)"),
            "vacation :days 7 :handle \"h\" to \"coyote@desert.example.org\" \"x\"\nkeep\n");
  input.envelope.from = "";
  EXPECT_EQ(run(R"(require "vacation"; vacation :handle "h" "x";)"),
            "vacation :days 7 :handle \"h\" to \"\" \"x\"\nkeep\n");
}

// RFC 5232 §3.1's example.
TEST_F(SieveRunActions, Rfc5232SetflagExample) {
  input.message = "From: boss@frobnitzm.example.edu\r\n\r\nx\r\n";
  EXPECT_EQ(run(R"(require ["imap4flags", "variables", "fileinto"];
if header :contains "from" "boss@frobnitzm.example.edu" {
    setflag "flagvar" "\\Flagged";
    fileinto :flags "${flagvar}" "INBOX.From Boss";
})"),
            "fileinto :flags [\"\\\\Flagged\"] \"INBOX.From Boss\"\n");
}

// RFC 5232 §3.2 and §3.3's examples: addflag adds up, removeflag takes out, in any case.
TEST_F(SieveRunActions, Rfc5232AddflagRemoveflag) {
  EXPECT_EQ(run(R"(require ["imap4flags", "variables", "fileinto"];
addflag "flagvar" "\\Deleted";
addflag "flagvar" "\\Answered";
fileinto :flags "${flagvar}" "A";
addflag "other" "\\Answered \\Deleted";
fileinto :flags "${other}" "B";)"),
            "fileinto :flags [\"\\\\Deleted\", \"\\\\Answered\"] \"A\"\n"
            "fileinto :flags [\"\\\\Answered\", \"\\\\Deleted\"] \"B\"\n");
  input.message = "Disposition-Notification-To: mel@example.com\r\nFrom: imap@cac.washington.example.edu\r\n\r\nx\r\n";
  EXPECT_EQ(run(R"(require ["imap4flags", "variables", "fileinto"];
if header :contains "Disposition-Notification-To" "mel@example.com" {
    addflag "flagvar" "$MDNRequired";
}
if header :contains "from" "imap@cac.washington.example.edu" {
    removeflag "flagvar" "$mdnrequired";
    fileinto :flags "${flagvar}" "INBOX.imap-list";
})"),
            "fileinto \"INBOX.imap-list\"\n");
}

// RFC 5232 §2, §3: words split, duplicates (any case) and flags IMAP cannot store dropped, first spelling
// kept; keep and fileinto without :flags take the internal variable as it is then, the implicit keep as
// it is at the end. Pigeonhole's sieve-test shows keep :flags ["x y", "X"] as "x y X" (it folds the
// duplicate when storing); here the list is normalised before it is printed.
TEST_F(SieveRunActions, Rfc5232InternalVariable) {
  EXPECT_EQ(run(R"(require "imap4flags"; addflag "\\Seen"; addflag ["$label  \\SEEN", "", "$Label"];)"),
            "keep :flags [\"\\\\Seen\", \"$label\"]\n");
  EXPECT_EQ(run("require \"imap4flags\"; addflag [\"\\\\Recent\", \"caf\u00e9\", \"(x\", \"ok\", \"\\\\Unknown\"];"),
            "keep :flags [\"ok\"]\n");
  EXPECT_EQ(run(R"(require "imap4flags"; addflag "a"; keep; setflag "b";)"), "keep :flags [\"a\"]\n");
  EXPECT_EQ(run(R"(require ["imap4flags", "fileinto", "copy"]; addflag "a"; fileinto :copy "X"; setflag "b";)"),
            "fileinto :flags [\"a\"] \"X\"\nkeep :flags [\"b\"]\n");
  EXPECT_EQ(run(R"(require ["imap4flags", "fileinto"]; addflag "a"; fileinto :flags "" "X"; removeflag "A";)"),
            "fileinto \"X\"\n");
}

// RFC 5232 §3: when one mailbox is asked for twice, the last flag list wins.
TEST_F(SieveRunActions, Rfc5232LastFlagsWin) {
  EXPECT_EQ(run(R"(require ["imap4flags", "fileinto"]; fileinto :flags "a" "X"; fileinto :flags "b" "X";)"),
            "fileinto :flags [\"b\"] \"X\"\n");
  EXPECT_EQ(run(R"(require ["imap4flags", "fileinto"]; keep :flags "\\Seen"; fileinto :flags "\\Flagged" "INBOX";)"),
            "keep :flags [\"\\\\Flagged\"]\n");
}

// RFC 5232 §4's examples.
TEST_F(SieveRunActions, Rfc5232Hasflag) {
  EXPECT_EQ(run(R"(require "imap4flags"; setflag "A B"; if hasflag :is "b A" { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(require "imap4flags"; setflag "A B"; if hasflag ["b", "A"] { discard; })"), "discard\n");
  const std::string prefix = R"(require ["imap4flags", "variables", "relational", "comparator-i;ascii-numeric"];
set "MyVar" "NonJunk Junk gnus-forward $Forwarded NotJunk JunkRecorded $Junk $NotJunk";
set "MyFlags" "A B";
)";
  for (const char* test :
       {R"(hasflag :contains "MyVar" "Junk")", R"(hasflag :contains "MyVar" "forward")",
        R"(hasflag :contains "MyVar" ["label", "forward"])", R"(hasflag :contains "MyVar" ["junk", "forward"])",
        R"(hasflag :count "ge" :comparator "i;ascii-numeric" "MyFlags" "2")"}) {
    EXPECT_EQ(run(prefix + "if " + test + " { discard; }"), "discard\n") << test;
  }
  for (const char* test :
       {R"(hasflag :contains "MyVar" "label")", R"(hasflag :contains "MyVar" ["label1", "label2"])"}) {
    EXPECT_EQ(run(prefix + "if " + test + " { discard; }"), "keep\n") << test;
  }
}

// RFC 5490 §3.1's example, and :create.
TEST_F(SieveRunActions, Rfc5490Mailbox) {
  const std::string_view script = R"(require ["fileinto", "reject", "mailbox"];
if mailboxexists "Partners" {
   fileinto "Partners";
} else {
   reject "This message was not accepted by the Mailstore";
})";
  EXPECT_EQ(run(script), "reject \"This message was not accepted by the Mailstore\"\n");
  host.mailboxes.insert("Partners");
  EXPECT_EQ(run(script), "fileinto \"Partners\"\n");
  EXPECT_EQ(run(R"(require ["fileinto", "mailbox"]; if mailboxexists ["Lists", "Nope"] { discard; })"), "keep\n");
  EXPECT_EQ(run(R"(require ["fileinto", "mailbox", "imap4flags"];
fileinto :create "Lists/new"; fileinto :flags "\\Seen" :create "Other";)"),
            "fileinto :create \"Lists/new\"\nfileinto :create :flags [\"\\\\Seen\"] \"Other\"\n");
}

TEST_F(SieveRunActions, MailboxNameCheckedAfterExpansion) {
  EXPECT_EQ(run(R"(require ["fileinto", "variables"]; set "m" "a//b"; fileinto "${m}";)"),
            "error 1:52: invalid mailbox name \"a//b\": empty level in folder name (a leading, trailing or doubled '/' "
            "or '.')\nkeep\n");
}

}  // namespace
}  // namespace letterbox::sieve::testing
