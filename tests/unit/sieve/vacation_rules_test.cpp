// When a vacation reply may not be sent (RFC 5230 §4.5, §4.6; letterbox.conf(5) "[sieve]"): one test per
// rule, and the addresses that count as the user's.
#include "letterbox/sieve/vacation_rules.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace letterbox::sieve {
namespace {

using enum VacationSuppression;

class VacationRules : public ::testing::Test {
 protected:
  std::string sender = "alice@example.com";
  std::string recipient = "bob@example.org";
  std::vector<std::string> addresses;
  std::string head = "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: Lunch\r\n";

  VacationSuppression check(const std::string& extra = "") {
    const std::string message = head + extra + "\r\nbody\r\n";
    return vacation_suppression(MessageHeaders::parse(message), {sender, recipient, addresses});
  }
};

TEST_F(VacationRules, AnOrdinaryMessageGetsAReply) {
  EXPECT_EQ(check(), none);
}

TEST_F(VacationRules, NoReplyToTheNullSender) {
  sender = "";
  EXPECT_EQ(check(), null_sender);
}

TEST_F(VacationRules, NoReplyToTheUsersOwnAddresses) {
  sender = "BOB@Example.ORG";
  EXPECT_EQ(check(), own_address);
  sender = "bob.smith@example.org";
  EXPECT_EQ(check(), none);
  addresses = {"bob.smith@example.org"};
  EXPECT_EQ(check(), own_address);
}

TEST_F(VacationRules, NoReplyToMailerDaemonsAndListServers) {
  for (const char* s : {"MAILER-DAEMON@example.com", "mailer-daemon@example.com", "LISTSERV@lists.example.com",
                        "majordomo@example.com", "owner-dev@lists.example.com", "dev-request@lists.example.com"}) {
    sender = s;
    EXPECT_EQ(check(), system_sender) << s;
  }
  for (const char* s : {"owner@example.com", "request@example.com", "daemon@example.com"}) {
    sender = s;
    EXPECT_EQ(check(), none) << s;
  }
  sender = "MAILER-DAEMON";  // no domain at all
  EXPECT_EQ(check(), system_sender);
}

TEST_F(VacationRules, NoReplyToMailingLists) {
  EXPECT_EQ(check("List-Id: Dev <dev.lists.example.com>\r\n"), mailing_list);
  EXPECT_EQ(check("list-unsubscribe: <mailto:dev-leave@example.com>\r\n"), mailing_list);
  EXPECT_EQ(check("List-Post: <mailto:dev@example.com>\r\n"), mailing_list);
  EXPECT_EQ(check("Listed: yes\r\n"), none);
}

TEST_F(VacationRules, NoReplyToAutoSubmittedMail) {
  EXPECT_EQ(check("Auto-Submitted: auto-replied\r\n"), auto_submitted);
  EXPECT_EQ(check("Auto-Submitted: auto-generated; owner-email=x@example.com\r\n"), auto_submitted);
  EXPECT_EQ(check("Auto-Submitted: No\r\n"), none);
  EXPECT_EQ(check("Auto-Submitted: no (a person wrote it)\r\n"), none);
}

TEST_F(VacationRules, NoReplyToBulkListOrJunkPrecedence) {
  EXPECT_EQ(check("Precedence: bulk\r\n"), bulk_precedence);
  EXPECT_EQ(check("Precedence: LIST\r\n"), bulk_precedence);
  EXPECT_EQ(check("Precedence: junk\r\n"), bulk_precedence);
  EXPECT_EQ(check("Precedence: first-class\r\n"), none);
}

TEST_F(VacationRules, NoReplyWhenTheSenderAsksForNone) {
  EXPECT_EQ(check("X-Auto-Response-Suppress: All\r\n"), auto_response_suppressed);
  EXPECT_EQ(check("X-Auto-Response-Suppress: DR, OOF\r\n"), auto_response_suppressed);
  EXPECT_EQ(check("X-Auto-Response-Suppress: DR, RN, NRN\r\n"), none);
}

TEST_F(VacationRules, NoReplyWhenTheUserIsNotARecipientInTheHeader) {
  head = "From: alice@example.com\r\nTo: team@example.org\r\nSubject: Lunch\r\n";
  EXPECT_EQ(check(), not_addressed);
  EXPECT_EQ(check("Cc: Bob <Bob@EXAMPLE.org>\r\n"), none);
  EXPECT_EQ(check("Bcc: bob@example.org\r\n"), none);
  EXPECT_EQ(check("Resent-To: bob@example.org\r\n"), none);
  EXPECT_EQ(check("Resent-Cc: carol@example.org, bob@example.org\r\n"), none);
  EXPECT_EQ(check("Resent-Bcc: bob@example.org\r\n"), none);
  EXPECT_EQ(check("Reply-To: bob@example.org\r\n"), not_addressed);
  addresses = {"team@example.org"};
  EXPECT_EQ(check(), none);
}

// The recipient with a subaddress is the user's address without it, and the other way round.
TEST_F(VacationRules, SubaddressesAreTheUsersAddress) {
  recipient = "bob+work@example.org";
  EXPECT_EQ(check(), none);
  recipient = "bob@example.org";
  head = "From: alice@example.com\r\nTo: bob+work@example.org\r\n";
  EXPECT_EQ(check(), none);
  head = "From: alice@example.com\r\nTo: bobby@example.org\r\n";
  EXPECT_EQ(check(), not_addressed);
}

TEST_F(VacationRules, TheFirstRuleInOrderIsReported) {
  sender = "owner-dev@example.com";
  EXPECT_EQ(check("List-Id: <dev.example.com>\r\nPrecedence: list\r\n"), system_sender);
  sender = "alice@example.com";
  EXPECT_EQ(check("List-Id: <dev.example.com>\r\nPrecedence: list\r\n"), mailing_list);
  EXPECT_NE(describe(mailing_list), describe(none));
}

}  // namespace
}  // namespace letterbox::sieve
