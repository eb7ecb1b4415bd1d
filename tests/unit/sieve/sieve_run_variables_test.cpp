// The interpreter on variables (RFC 5229), relational (RFC 5231), subaddress (RFC 5233) and :regex
// (draft-ietf-sieve-regex): the RFCs' examples, asserted on the printed actions (docs/sieve.md).
#include "sieve_run_support.hpp"

namespace letterbox::sieve::testing {
namespace {

using SieveRunVariables = SieveRun;

// RFC 5229 §3's examples.
TEST_F(SieveRunVariables, Rfc5229Expansion) {
  EXPECT_EQ(run(R"(require ["variables", "reject"];
set "company" "ACME";
reject "[${full}] [${company}] [${BAD${Company}] [${President, ${Company} Inc.}] [&%${}!] [${doh!}]";)"),
            "reject \"[] [ACME] [${BADACME] [${President, ACME Inc.}] [&%${}!] [${doh!}]\"\n");
}

// RFC 5229 §3.2's examples: ${N} after :matches, kept when a later test fails.
TEST_F(SieveRunVariables, Rfc5229MatchVariables) {
  const std::string_view script = R"(require ["fileinto", "variables"];
if header :matches "List-ID" "*<*@*" {
    fileinto "INBOX.lists.${2}"; stop;
}
if header :matches "Subject" "[*] *" {
    fileinto "INBOX.lists.${1}"; stop;
}
if address :matches ["To", "Cc"] ["coyote@**.com", "wile@**.com"] {
    fileinto "INBOX.business.${2}"; stop;
}
if anyof (true, address :domain :matches "To" "*.com") {
    fileinto "none[${0}]"; stop;
})";
  EXPECT_EQ(run_on("List-ID: Sieve discussion <sieve@ietf.org>\r\n\r\nx\r\n", script),
            "fileinto \"INBOX.lists.sieve\"\n");
  EXPECT_EQ(run_on("Subject: [acme-users] [fwd] version 1.0 is out\r\n\r\nx\r\n", script),
            "fileinto \"INBOX.lists.acme-users\"\n");
  EXPECT_EQ(run_on("To: coyote@ACME.Example.COM\r\n\r\nx\r\n", script), "fileinto \"INBOX.business.ACME.Example\"\n");
  EXPECT_EQ(run_on("To: someone@example.org\r\n\r\nx\r\n", script), "fileinto \"none[]\"\n");
}

// RFC 5229 §4.1's examples, each modifier in its order of precedence.
TEST_F(SieveRunVariables, Rfc5229SetModifiers) {
  EXPECT_EQ(run(R"(require ["variables", "reject"];
set "a" "juMBlEd lETteRS";
set :length "b" "${a}";
set :lower "c" "${a}";
set :upperfirst "d" "${a}";
set :upperfirst :lower "e" "${a}";
set :quotewildcard "f" "Rock*";
reject "${b}|${c}|${d}|${e}|${f}";)"),
            "reject \"15|jumbled letters|JuMBlEd lETteRS|Jumbled letters|Rock\\\\*\"\n");
}

// RFC 5229 §5's example, and :count counting the sources that are not empty.
TEST_F(SieveRunVariables, Rfc5229StringTest) {
  EXPECT_EQ(run(R"(require "variables";
set "state" "${state} pending";
if string :matches " ${state} " "* pending *" { discard; })"),
            "discard\n");
  EXPECT_EQ(run(R"(require ["variables", "relational", "comparator-i;ascii-numeric"];
if string :count "eq" :comparator "i;ascii-numeric" ["a", "", "b"] "2" { discard; })"),
            "discard\n");
}

// RFC 5229 §6: values are cut at the limit (on a character boundary); too many variables is an error.
TEST_F(SieveRunVariables, Rfc5229Limits) {
  input.limits.max_variable_size = 4;
  EXPECT_EQ(run(R"(require ["variables", "reject"]; set "a" "abcdef"; reject "${a}";)"), "reject \"abcd\"\n");
  // A quoting modifier's escape is not cut in half: a\*\* cut to 4 bytes keeps a\* without the lone backslash.
  EXPECT_EQ(run(R"(require ["variables", "reject"]; set :quotewildcard "a" "a**"; reject "${a}";)"),
            "reject \"a\\\\*\"\n");
  EXPECT_EQ(run(R"(require ["variables", "reject"]; set :quotewildcard "a" "ab**"; reject "${a}";)"),
            "reject \"ab\\\\*\"\n");
  input.limits.max_variables = 2;
  EXPECT_EQ(run("require \"variables\";\nset \"a\" \"1\";\nset \"b\" \"2\";\nset \"c\" \"3\";"),
            "error 4:1: more than 2 variables\nkeep\n");
}

// RFC 5231 §6's example.
TEST_F(SieveRunVariables, Rfc5231Count) {
  input.message =
      "received: ...\r\nreceived: ...\r\nsubject: example\r\nto: foo@example.com, baz@example.com\r\n"
      "cc: qux@example.com\r\n\r\nx\r\n";
  const std::string prefix = R"(require ["relational", "comparator-i;ascii-numeric"]; if )";
  const auto holds = [&](std::string_view test) { return run(prefix + std::string(test) + " { discard; }"); };
  EXPECT_EQ(holds(R"(address :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] ["3"])"), "discard\n");
  EXPECT_EQ(holds(R"(anyof (address :count "ge" :comparator "i;ascii-numeric" ["to"] ["3"],
                           address :count "ge" :comparator "i;ascii-numeric" ["cc"] ["3"]))"),
            "keep\n");
  EXPECT_EQ(holds(R"(header :count "ge" :comparator "i;ascii-numeric" ["received"] ["3"])"), "keep\n");
  EXPECT_EQ(holds(R"(header :count "ge" :comparator "i;ascii-numeric" ["received", "subject"] ["3"])"), "discard\n");
  EXPECT_EQ(holds(R"(header :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] ["3"])"), "keep\n");
}

TEST_F(SieveRunVariables, Rfc5231Value) {
  EXPECT_EQ(run(R"(require "relational"; if header :value "gt" "subject" "H" { discard; })"), "discard\n");
  EXPECT_EQ(run(R"(require "relational"; if address :value "lt" :domain "from" "c" { discard; })"), "keep\n");
}

// RFC 5233 §5's examples on the envelope recipient.
TEST_F(SieveRunVariables, Rfc5233Subaddress) {
  const std::string_view script = R"(require ["envelope", "subaddress", "fileinto"];
if envelope :user "to" "postmaster" {
    fileinto "inbox.postmaster"; stop;
}
if envelope :detail :is "to" "mta-filters" {
    fileinto "inbox.ietf-mta-filters"; stop;
}
if envelope :detail :is "to" "" {
    fileinto "inbox.empty-detail"; stop;
})";
  input.envelope.to = "postmaster+x@example.org";
  EXPECT_EQ(run(script), "fileinto \"inbox.postmaster\"\n");
  input.envelope.to = "ken+mta-filters@example.org";
  EXPECT_EQ(run(script), "fileinto \"inbox.ietf-mta-filters\"\n");
  input.envelope.to = "ken+@example.org";
  EXPECT_EQ(run(script), "fileinto \"inbox.empty-detail\"\n");
  input.envelope.to = "ken@example.org";  // no separator: no detail, which matches nothing
  EXPECT_EQ(run(script), "keep\n");
  EXPECT_EQ(run(R"(require "subaddress"; if address :detail "to" "tricks" { discard; })"), "discard\n");
}

// The regex draft: ${0} the match, ${N} the groups; :quoteregex makes a value a literal.
TEST_F(SieveRunVariables, RegexCaptures) {
  EXPECT_EQ(run(R"s(require ["regex", "variables", "fileinto"];
if header :regex "subject" "I have (a|an) ([a-z]+)" { fileinto "${2}/${1}/${0}"; })s"),
            "fileinto \"present/a/I have a present\"\n");
  EXPECT_EQ(run(R"(require ["regex", "variables"];
set :quoteregex "q" "a.b"; if string :regex "axb" "^${q}$" { discard; })"),
            "keep\n");
  EXPECT_EQ(
      run("require [\"regex\", \"variables\"];\nset \"r\" \"(\";\nif header :regex \"subject\" \"${r}\" { discard; }"),
      "error 3:4: invalid regular expression: missing ): (\nkeep\n");
}

}  // namespace
}  // namespace letterbox::sieve::testing
