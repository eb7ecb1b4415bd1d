// PolicyParser: Postfix's policy delegation protocol, fed in any chunking, and its limits.
#include "policy_protocol.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "letterbox/mail/outcome.hpp"

using namespace letterbox;

namespace {

std::vector<PolicyRequest> parse(const std::string& bytes, std::size_t step, std::string* error = nullptr) {
  PolicyParser parser;
  std::vector<PolicyRequest> out;
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    parser.feed(std::string_view(bytes).substr(at, step));
    while (auto r = parser.next()) out.push_back(std::move(*r));
  }
  if (error != nullptr) *error = parser.error();
  return out;
}

}  // namespace

TEST(PolicyParser, RequestsInAnyChunking) {
  const std::string wire =
      "request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=a@example.org\nsize=12\n\n"
      "\nrequest=smtpd_access_policy\r\nrecipient=b@example.org\r\nempty=\r\n\r\n";
  for (std::size_t step = 1; step <= wire.size(); ++step) {
    std::string error;
    const auto requests = parse(wire, step, &error);
    ASSERT_EQ(requests.size(), 2U) << step;
    EXPECT_EQ(error, "");
    EXPECT_EQ(requests[0].get("recipient"), "a@example.org");
    EXPECT_EQ(requests[0].get("size"), "12");
    EXPECT_EQ(requests[0].get("absent"), "");
    EXPECT_EQ(requests[1].get("recipient"), "b@example.org");
    EXPECT_EQ(requests[1].attributes.count("empty"), 1U);
  }
}

TEST(PolicyParser, ErrorsStopTheConnection) {
  std::string error;
  EXPECT_TRUE(parse("recipient=a@b\n\n", 1, &error).empty());
  EXPECT_EQ(error, "a request without request=smtpd_access_policy");
  EXPECT_TRUE(parse("request=junk\n\n", 3, &error).empty());
  EXPECT_EQ(error, "request=junk is not smtpd_access_policy");
  EXPECT_TRUE(parse("request=smtpd_access_policy\nno equals\n\n", 5, &error).empty());
  EXPECT_EQ(error, "a line that is not name=value");
  EXPECT_TRUE(parse("=value\n\n", 5, &error).empty());
  EXPECT_EQ(error, "a line that is not name=value");
  // 2048 octets before the line end (LF or CRLF) is the limit, however the line arrives.
  for (const std::string end : {"\n", "\r\n"}) {
    const std::string ok_line = "request=smtpd_access_policy" + end + "x=" + std::string(2046, 'v') + end + end;
    for (std::size_t step : {1UL, 7UL, ok_line.size()}) {
      EXPECT_EQ(parse(ok_line, step, &error).size(), 1U) << step;
      EXPECT_EQ(error, "") << step;
    }
  }
  const std::string long_line = "request=smtpd_access_policy\nx=" + std::string(2047, 'v') + "\n\n";
  for (std::size_t step : {1UL, 100UL, long_line.size()}) {
    EXPECT_TRUE(parse(long_line, step, &error).empty());
    EXPECT_EQ(error, "a line over 2048 octets") << step;
  }
  std::string many = "request=smtpd_access_policy\n";
  for (int i = 0; i < 99; ++i) many += "a" + std::to_string(i) + "=x\n";
  EXPECT_EQ(parse(many + "\n", 64, &error).size(), 1U);  // 100 attributes
  EXPECT_TRUE(parse(many + "one=more\n\n", 64, &error).empty());
  EXPECT_EQ(error, "more than 100 attributes");
}

TEST(PolicyParser, TheReplyIsOneLine) {
  EXPECT_EQ(format_policy_reply("DUNNO"), "action=DUNNO\n\n");
  EXPECT_EQ(format_policy_reply("550 5.1.1 a\nb\rc"), "action=550 5.1.1 a b c\n\n");
}

TEST(PolicyAction, OneMappingFromOutcomes) {
  EXPECT_EQ(policy_action(make_outcome(Status::Delivered)), "DUNNO");
  EXPECT_EQ(policy_action(make_outcome(Status::UserUnknown)), "550 5.1.1 User unknown");
  EXPECT_EQ(policy_action(make_outcome(Status::MailboxDisabled)), "550 5.2.1 Mailbox disabled");
  EXPECT_EQ(policy_action(make_outcome(Status::MailboxPending)),
            "DEFER_IF_PERMIT 4.2.1 Mailbox temporarily unavailable");
  EXPECT_EQ(policy_action(make_outcome(Status::DirectoryUnavailable)),
            "DEFER_IF_PERMIT 4.4.3 Directory unavailable, try again later");
  EXPECT_EQ(policy_action(make_outcome(Status::MailboxFull)), "DEFER_IF_PERMIT 4.2.2 Mailbox full");
  EXPECT_EQ(policy_action(make_outcome(Status::MailboxFull, "", QuotaFullReply::Retry452)), "452 4.2.2 Mailbox full");
  EXPECT_EQ(policy_action(make_outcome(Status::MailboxFull, "", QuotaFullReply::Bounce552)), "552 5.2.2 Mailbox full");
}
