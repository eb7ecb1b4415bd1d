// The vacation reply's exact bytes (RFC 5230 §5): its fields, the subject's encoding and folding, the
// thread fields, the body's transfer encoding, and that nothing from the script or the original message can
// add a field.
#include "letterbox/sieve/vacation_reply.hpp"

#include <gtest/gtest.h>

#include <string>

#include "letterbox/sieve/encoded_words.hpp"

namespace letterbox::sieve {
namespace {

class VacationReply : public testing::Test {
 protected:
  VacationAction action;
  VacationReplyStamp stamp{DateTime{2026, 12, 6, 6, 30, 0, ZoneOffset{60}}, "<vacation.1@mx.example.org>"};
  std::string original =
      "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: Lunch\r\n"
      "Message-ID: <m1@example.com>\r\n\r\nbody\r\n";

  void SetUp() override {
    action.reply_to = "alice@example.com";
    action.recipient = "bob@example.org";
    action.reason = "I am away until Monday.\nBack soon.";
  }

  std::string reply() const { return compose_vacation_reply(action, MessageHeaders::parse(original), stamp); }

  // The fields from "Message-ID" to "To", which most tests do not change.
  static constexpr std::string_view kTop =
      "Message-ID: <vacation.1@mx.example.org>\r\n"
      "Date: Sun, 06 Dec 2026 06:30:00 +0100\r\n"
      "From: bob@example.org\r\n"
      "To: alice@example.com\r\n";
  static constexpr std::string_view kThread =
      "In-Reply-To: <m1@example.com>\r\n"
      "References: <m1@example.com>\r\n"
      "Auto-Submitted: auto-replied (vacation)\r\n"
      "MIME-Version: 1.0\r\n";
  static constexpr std::string_view kPlain =
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 7bit\r\n\r\n";

  // The reply from "Subject" on, when the top is kTop.
  std::string after_top() const {
    const auto text = reply();
    EXPECT_EQ(text.substr(0, kTop.size()), kTop);
    return text.substr(kTop.size());
  }
};

TEST_F(VacationReply, AnAsciiReplyExactly) {
  EXPECT_EQ(reply(), std::string(kTop) + "Subject: Auto: Lunch\r\n" + std::string(kThread) + std::string(kPlain) +
                         "I am away until Monday.\r\nBack soon.\r\n");
}

TEST_F(VacationReply, FromAndSubjectOfTheScript) {
  action.from = "Bob Example <bob@example.org>";
  action.subject = "Away";
  const auto text = reply();
  EXPECT_NE(text.find("\r\nFrom: Bob Example <bob@example.org>\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\r\nSubject: Away\r\n"), std::string::npos) << text;
}

TEST_F(VacationReply, ANonAsciiOriginalSubjectIsDecodedPrefixedAndEncodedAgain) {
  original = "Subject: =?iso-8859-1?q?Caf=E9?=\r\nMessage-ID: <m1@example.com>\r\n\r\n";
  EXPECT_EQ(after_top(), "Subject: =?utf-8?q?Auto=3A_Caf=C3=A9?=\r\n" + std::string(kThread) + std::string(kPlain) +
                             "I am away until Monday.\r\nBack soon.\r\n");
}

TEST_F(VacationReply, ANonAsciiDisplayNameInFromIsEncoded) {
  action.from = "\"Élise Dupont\" <elise@example.org>";
  const auto text = reply();
  EXPECT_NE(text.find("\r\nFrom: =?utf-8?q?=C3=89lise_Dupont?= <elise@example.org>\r\n"), std::string::npos) << text;
}

TEST_F(VacationReply, ALongEncodedSubjectIsFoldedIntoWordsOfAtMost76CharacterLines) {
  action.subject = "Je suis absent jusqu'à lundi, écrivez à mon collègue Jérôme pour toute question urgente";
  const auto text = reply();
  const auto start = text.find("Subject: ");
  const auto end = text.find("\r\nIn-Reply-To:");
  ASSERT_NE(start, std::string::npos);
  const auto subject = text.substr(start, end - start);
  EXPECT_EQ(subject,
            "Subject: =?utf-8?q?Je_suis_absent_jusqu=27=C3=A0_lundi=2C_=C3=A9crivez_?=\r\n"
            " =?utf-8?q?=C3=A0_mon_coll=C3=A8gue_J=C3=A9r=C3=B4me_pour_toute_question_u?=\r\n"
            " =?utf-8?q?rgente?=");
  const auto unfolded = unfold(subject.substr(9));
  EXPECT_EQ(decode_encoded_words(unfolded), *action.subject);
}

TEST_F(VacationReply, ALongAsciiSubjectIsFoldedAtSpaces) {
  action.subject =
      "I am out of the office this week and next, with no access to mail; for anything urgent please call the "
      "front desk";
  const auto text = reply();
  EXPECT_NE(text.find("\r\nSubject: I am out of the office this week and next, with no access to mail;\r\n"
                      " for anything urgent please call the front desk\r\n"),
            std::string::npos)
      << text;
}

TEST_F(VacationReply, ReferencesFollowTheParentsThread) {
  original =
      "Message-ID: <c@example.com>\r\nIn-Reply-To: <b@example.com>\r\n"
      "References: <a@example.com>\r\n <b@example.com> (a comment)\r\n\r\n";
  auto text = reply();
  EXPECT_NE(text.find("\r\nIn-Reply-To: <c@example.com>\r\nReferences: <a@example.com> <b@example.com>"
                      " <c@example.com>\r\n"),
            std::string::npos)
      << text;
  // No References: the parent's In-Reply-To, when it names one message.
  original = "Message-ID: <c@example.com>\r\nIn-Reply-To: <b@example.com>\r\n\r\n";
  text = reply();
  EXPECT_NE(text.find("\r\nReferences: <b@example.com> <c@example.com>\r\n"), std::string::npos) << text;
  original = "Message-ID: <c@example.com>\r\nIn-Reply-To: <a@example.com> <b@example.com>\r\n\r\n";
  text = reply();
  EXPECT_NE(text.find("\r\nReferences: <c@example.com>\r\n"), std::string::npos) << text;
}

TEST_F(VacationReply, WithoutAMessageIdThereAreNoThreadFields) {
  original = "Subject: Lunch\r\nReferences: <a@example.com>\r\n\r\n";
  const auto text = reply();
  EXPECT_EQ(text.find("In-Reply-To"), std::string::npos) << text;
  EXPECT_EQ(text.find("References"), std::string::npos) << text;
  EXPECT_NE(text.find("Subject: Auto: Lunch\r\nAuto-Submitted: auto-replied (vacation)\r\n"), std::string::npos);
}

TEST_F(VacationReply, AManyReferencesFieldIsFolded) {
  std::string refs;
  for (int i = 0; i < 6; ++i) refs += " <reference-number-" + std::to_string(i) + "@lists.example.com>";
  original = "Message-ID: <c@example.com>\r\nReferences:" + refs + "\r\n\r\n";
  const auto text = reply();
  EXPECT_NE(text.find("\r\nReferences: <reference-number-0@lists.example.com>\r\n"
                      " <reference-number-1@lists.example.com> <reference-number-2@lists.example.com>\r\n"
                      " <reference-number-3@lists.example.com> <reference-number-4@lists.example.com>\r\n"
                      " <reference-number-5@lists.example.com> <c@example.com>\r\n"),
            std::string::npos)
      << text;
}

TEST_F(VacationReply, NoSubjectMeansAutomatedReply) {
  original = "Message-ID: <m1@example.com>\r\n\r\n";
  EXPECT_EQ(after_top().substr(0, 27), "Subject: Automated reply\r\nI");
}

TEST_F(VacationReply, NothingCanAddAField) {
  action.subject = "Away\r\nBcc: victim@example.net";
  auto text = reply();
  EXPECT_NE(text.find("\r\nSubject: Away  Bcc: victim@example.net\r\n"), std::string::npos) << text;
  action.subject.reset();
  original = "Subject: =?utf-8?q?Hi=0D=0ABcc:_victim@example.net?=\r\nMessage-ID: <m1@example.com>\r\n\r\n";
  text = reply();
  EXPECT_NE(text.find("\r\nSubject: Auto: Hi  Bcc: victim@example.net\r\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("\r\nBcc:"), std::string::npos) << text;
}

TEST_F(VacationReply, ANonAsciiReasonIsQuotedPrintable) {
  action.reason = "Je suis absent jusqu'à lundi.\r\n" + std::string(100, 'a') + "\r\ntrailing \r\n\r\na=b\t";
  EXPECT_EQ(after_top(), "Subject: Auto: Lunch\r\n" + std::string(kThread) +
                             "Content-Type: text/plain; charset=utf-8\r\n"
                             "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                             "Je suis absent jusqu'=C3=A0 lundi.\r\n" +
                             std::string(75, 'a') + "=\r\n" + std::string(25, 'a') +
                             "\r\n"
                             "trailing=20\r\n"
                             "\r\n"
                             "a=3Db=09\r\n");
}

TEST_F(VacationReply, AnAsciiLineOver998OctetsIsQuotedPrintableToo) {
  action.reason = std::string(999, 'x');
  const auto text = reply();
  EXPECT_NE(text.find("Content-Transfer-Encoding: quoted-printable\r\n\r\n" + std::string(75, 'x') + "=\r\n"),
            std::string::npos);
  action.reason = std::string(998, 'x');
  EXPECT_NE(reply().find("Content-Transfer-Encoding: 7bit\r\n\r\n" + std::string(998, 'x') + "\r\n"),
            std::string::npos);
}

TEST_F(VacationReply, AMimeReasonIsTheEntityAsGiven) {
  action.mime = true;
  action.reason = "Content-Type: text/html; charset=utf-8\n\n<p>Away</p>\n";
  EXPECT_EQ(after_top(), "Subject: Auto: Lunch\r\n" + std::string(kThread) +
                             "Content-Type: text/html; charset=utf-8\r\n\r\n<p>Away</p>\r\n");
  // Only header fields: the empty line that ends them is added.
  action.reason = "Content-Type: text/plain; charset=us-ascii";
  EXPECT_EQ(after_top(),
            "Subject: Auto: Lunch\r\n" + std::string(kThread) + "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
}

TEST(EncodeWords, EveryWordFitsAndTheWholeDecodesBack) {
  const std::string text = "日本語のテキストと English words, mixed — with dashes and émojis 🎉🎉🎉 at the end";
  for (const std::size_t first : {0, 20, 40, 67, 75, 200}) {
    const auto words = encode_words(text, first);
    ASSERT_FALSE(words.empty());
    std::string joined;
    for (std::size_t i = 0; i < words.size(); ++i) {
      EXPECT_LE(words[i].size(), i == 0 ? std::max<std::size_t>(first, 24) : 75) << words[i];
      EXPECT_EQ(words[i].substr(0, 10), "=?utf-8?q?");
      EXPECT_EQ(words[i].find(' '), std::string::npos);
      joined += (i ? " " : "") + words[i];
    }
    EXPECT_EQ(decode_encoded_words(joined), text) << first;
  }
  EXPECT_TRUE(encode_words("").empty());
  EXPECT_EQ(encode_words("a b=?"), std::vector<std::string>{"=?utf-8?q?a_b=3D=3F?="});
}

}  // namespace
}  // namespace letterbox::sieve
