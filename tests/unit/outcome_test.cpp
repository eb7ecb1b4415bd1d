#include "letterbox/mail/outcome.hpp"

#include <gtest/gtest.h>
#include <sysexits.h>

#include <cerrno>
#include <tuple>

using namespace letterbox;

namespace {

struct Row {
  Status status;
  QuotaFullReply quota;
  const char* reply;
  int exit;
  const char* stderr_text;
};

}  // namespace

TEST(Outcome, EveryRowOfTheSpecTableMapsToItsReplyAndExitCode) {
  const Row rows[] = {
      {Status::Delivered, QuotaFullReply::Retry450, "250 2.0.0 <u@example.org> Delivered", EX_OK,
       "2.0.0 <u@example.org> Delivered"},
      {Status::UserUnknown, QuotaFullReply::Retry450, "550 5.1.1 <u@example.org> User unknown", EX_NOUSER,
       "5.1.1 <u@example.org> User unknown"},
      {Status::MailboxDisabled, QuotaFullReply::Retry450, "550 5.2.1 <u@example.org> Mailbox disabled", EX_NOPERM,
       "5.2.1 <u@example.org> Mailbox disabled"},
      {Status::MailboxPending, QuotaFullReply::Retry450, "450 4.2.1 <u@example.org> Mailbox temporarily unavailable",
       EX_TEMPFAIL, "4.2.1 <u@example.org> Mailbox temporarily unavailable"},
      {Status::DirectoryUnavailable, QuotaFullReply::Retry450,
       "450 4.4.3 <u@example.org> Directory unavailable, try again later", EX_TEMPFAIL,
       "4.4.3 <u@example.org> Directory unavailable, try again later"},
      {Status::MailboxLocked, QuotaFullReply::Retry450, "450 4.2.0 <u@example.org> Mailbox locked, try again later",
       EX_TEMPFAIL, "4.2.0 <u@example.org> Mailbox locked, try again later"},
      {Status::MailboxFull, QuotaFullReply::Retry450, "450 4.2.2 <u@example.org> Mailbox full", EX_TEMPFAIL,
       "4.2.2 <u@example.org> Mailbox full"},
      {Status::MailboxFull, QuotaFullReply::Retry452, "452 4.2.2 <u@example.org> Mailbox full", EX_TEMPFAIL,
       "4.2.2 <u@example.org> Mailbox full"},
      {Status::MailboxFull, QuotaFullReply::Bounce552, "552 5.2.2 <u@example.org> Mailbox full", EX_NOPERM,
       "5.2.2 <u@example.org> Mailbox full"},
      {Status::DiskFull, QuotaFullReply::Retry450, "452 4.3.1 <u@example.org> Insufficient system storage", EX_TEMPFAIL,
       "4.3.1 <u@example.org> Insufficient system storage"},
      {Status::LocalError, QuotaFullReply::Retry450, "451 4.3.0 <u@example.org> Local delivery error", EX_TEMPFAIL,
       "4.3.0 <u@example.org> Local delivery error"},
      {Status::MessageTooBig, QuotaFullReply::Retry450, "552 5.3.4 Message too big", EX_UNAVAILABLE,
       "5.3.4 Message too big"},
  };
  for (const auto& row : rows) {
    const auto outcome = make_outcome(row.status, "detail", row.quota);
    SCOPED_TRACE(row.reply);
    EXPECT_EQ(lmtp_reply(outcome, "u@example.org"), row.reply);
    EXPECT_EQ(exit_code(outcome), row.exit);
    EXPECT_EQ(stderr_line(outcome, "u@example.org"), row.stderr_text);
  }
}

TEST(Outcome, AMailboxOnAnotherHostIsATemporary4_4_4ThatNamesTheHost) {
  const auto o = mailbox_elsewhere("mx2.example.org", "the directory says so");
  EXPECT_EQ(lmtp_reply(o, "u@example.org"), "450 4.4.4 <u@example.org> Mailbox is on host mx2.example.org");
  EXPECT_EQ(stderr_line(o, "u@example.org"), "4.4.4 <u@example.org> Mailbox is on host mx2.example.org");
  EXPECT_EQ(exit_code(o), EX_TEMPFAIL);
  EXPECT_EQ(policy_action(o), "DEFER_IF_PERMIT 4.4.4 Mailbox is on host mx2.example.org");
  EXPECT_EQ(status_name(o.status), "mailbox-elsewhere");
}

TEST(Outcome, NoTemporaryStatusEverBecomesAPermanentReply) {
  for (Status s : {Status::MailboxPending, Status::DirectoryUnavailable, Status::MailboxLocked, Status::DiskFull,
                   Status::LocalError, Status::MailboxElsewhere}) {
    for (QuotaFullReply q : {QuotaFullReply::Retry450, QuotaFullReply::Retry452, QuotaFullReply::Bounce552}) {
      const auto o = make_outcome(s, {}, q);
      EXPECT_TRUE(o.temporary()) << status_name(s);
      EXPECT_EQ(exit_code(o), EX_TEMPFAIL) << status_name(s);
      EXPECT_EQ(o.enhanced.front(), '4') << status_name(s);
    }
  }
}

TEST(Outcome, ErrnoMapping) {
  EXPECT_EQ(outcome_from_errno(ENOSPC, "x").status, Status::DiskFull);
  EXPECT_EQ(outcome_from_errno(EDQUOT, "x").status, Status::MailboxFull);
  // quota_full_reply = 552 bounces for a full mailbox quota, never for a filesystem quota (EDQUOT),
  // which under a single vmail owner means the whole spool.
  EXPECT_EQ(outcome_from_errno(EDQUOT, "x", QuotaFullReply::Bounce552).code, 452);
  EXPECT_EQ(outcome_from_errno(EDQUOT, "x", QuotaFullReply::Retry450).code, 450);
  for (int e : {EIO, EACCES, EFBIG, ELOOP, EROFS, EMLINK}) {
    const auto o = outcome_from_errno(e, "appending to /m");
    EXPECT_EQ(o.status, Status::LocalError);
    EXPECT_EQ(o.code, 451);
  }
  EXPECT_EQ(outcome_from_errno(EIO, "appending to /m").detail, "appending to /m: Input/output error");
}

TEST(Outcome, ASieveRejectIs550_5_7_1WithTheScriptsReason) {
  const auto o = rejected("Not wanted here", "sieve");
  EXPECT_EQ(lmtp_reply(o, "u@example.org"), "550 5.7.1 <u@example.org> Not wanted here");
  EXPECT_EQ(stderr_line(o, "u@example.org"), "5.7.1 <u@example.org> Not wanted here");
  EXPECT_EQ(exit_code(o), EX_NOPERM);
  EXPECT_EQ(policy_action(o), "550 5.7.1 Not wanted here");
  EXPECT_EQ(status_name(o.status), "rejected");
  EXPECT_FALSE(o.temporary());
  // No reason: the row's own text.
  EXPECT_EQ(lmtp_reply(rejected("", "sieve"), "u@example.org"),
            "550 5.7.1 <u@example.org> Rejected by the recipient's filter");
}

TEST(Outcome, ARejectReasonIsOneBoundedLineOfPrintableAscii) {
  // A reason could otherwise add a reply line (CRLF) or a header to the bounce.
  EXPECT_EQ(sanitize_reason("  Go\r\n250 2.0.0 ok\tnow  "), "Go 250 2.0.0 ok now");
  EXPECT_EQ(sanitize_reason("Gr\xc3\xbc\xc3\x9f"
                            "e\x7f!"),
            "Gr????e !");
  EXPECT_EQ(sanitize_reason(std::string(1000, 'x')).size(), kMaxReasonLength);
  EXPECT_EQ(sanitize_reason("\r\n\t "), "");
}
