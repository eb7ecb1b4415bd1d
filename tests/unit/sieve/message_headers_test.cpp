// The header section: fields, unfolding (RFC 5322 §2.2.3), RFC 2047 encoded words, the body's offset, and
// the encodings and charsets underneath.
#include "letterbox/sieve/message_headers.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "letterbox/sieve/charset.hpp"
#include "letterbox/sieve/encoded_words.hpp"
#include "letterbox/sieve/transfer_encoding.hpp"

namespace letterbox::sieve {
namespace {

using Views = std::vector<std::string_view>;

TEST(MessageHeaders, FieldsInOrderFoundByNameInAnyCase) {
  const auto h = MessageHeaders::parse("From: a@x\r\nReceived: one\r\nSubject: Hi\r\nRECEIVED: two\r\n\r\nbody");
  ASSERT_EQ(h.fields().size(), 4U);
  EXPECT_EQ(h.values("received"), (Views{"one", "two"}));
  EXPECT_EQ(h.values("Subject"), (Views{"Hi"}));
  EXPECT_TRUE(h.has("FROM"));
  EXPECT_FALSE(h.has("To"));
  EXPECT_EQ(h.fields()[3].name, "RECEIVED");
}

TEST(MessageHeaders, UnfoldsAndTrims) {
  const std::string msg = "Subject:   folded\r\n  twice\r\n\tand more  \r\n\r\n";
  const auto h = MessageHeaders::parse(msg);
  ASSERT_EQ(h.fields().size(), 1U);
  EXPECT_EQ(h.fields()[0].value, "folded  twice\tand more");
  EXPECT_EQ(h.fields()[0].raw, "   folded\r\n  twice\r\n\tand more  ");
}

TEST(MessageHeaders, BodyOffsetWithCrlfAndLf) {
  const std::string crlf = "A: 1\r\nB: 2\r\n\r\nthe body";
  EXPECT_EQ(crlf.substr(MessageHeaders::parse(crlf).body_offset()), "the body");
  const std::string lf = "A: 1\nB: 2\n  cont\n\nthe body\n";
  const auto h = MessageHeaders::parse(lf);
  EXPECT_EQ(lf.substr(h.body_offset()), "the body\n");
  EXPECT_EQ(h.values("b"), (Views{"2  cont"}));
  const std::string none = "A: 1\r\nB: 2";
  EXPECT_EQ(MessageHeaders::parse(none).body_offset(), none.size());
  EXPECT_EQ(MessageHeaders::parse("\r\nbody").body_offset(), 2U);
}

TEST(MessageHeaders, SkipsLinesThatAreNotFields) {
  const auto h =
      MessageHeaders::parse(" orphan continuation\r\nno colon here\r\nBad Name: x\r\n:empty\r\nOk : y\r\n\r\n");
  ASSERT_EQ(h.fields().size(), 1U);
  EXPECT_EQ(h.fields()[0].name, "Ok");
  EXPECT_EQ(h.fields()[0].value, "y");
}

TEST(MessageHeaders, EmptyValueAndColonsInValue) {
  const auto h = MessageHeaders::parse("X-Empty:\r\nX-Time: 12:34:56\r\n\r\n");
  EXPECT_EQ(h.values("x-empty"), (Views{""}));
  EXPECT_EQ(h.values("x-time"), (Views{"12:34:56"}));
}

TEST(MessageHeaders, ManyFieldsAreCappedAndFlagged) {
  std::string msg;
  for (int i = 0; i < 200000; ++i) msg += "X-Many: v\r\n";
  msg += "\r\nbody";
  const auto start = std::chrono::steady_clock::now();
  const auto h = MessageHeaders::parse(msg, {1000});
  EXPECT_EQ(h.fields().size(), 1000U);
  EXPECT_TRUE(h.truncated());
  EXPECT_EQ(msg.substr(h.body_offset()), "body");
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count(),
            1000);
}

TEST(MessageHeaders, DecodedValues) {
  const auto h = MessageHeaders::parse("Subject: =?ISO-8859-1?Q?Caf=E9?= au lait\r\n\r\n");
  EXPECT_EQ(h.decoded_values("subject"), (std::vector<std::string>{"Caf\xc3\xa9 au lait"}));
  EXPECT_EQ(h.values("subject"), (Views{"=?ISO-8859-1?Q?Caf=E9?= au lait"}));
}

TEST(EncodedWords, Rfc2047Examples) {
  // RFC 2047 §8.
  EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?Q?a?="), "a");
  EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?Q?a?= b"), "a b");
  EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?="), "ab");
  EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?Q?a?=  \r\n  =?ISO-8859-1?Q?b?="), "ab");
  EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?Q?a_b?="), "a b");
  EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?="), "a b");
  EXPECT_EQ(decode_encoded_words("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>"), "Keith Moore <moore@cs.utk.edu>");
}

TEST(EncodedWords, Base64AndCharsets) {
  EXPECT_EQ(decode_encoded_words("=?UTF-8?B?w6l0w6k=?="), "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(decode_encoded_words("=?iso-8859-1?b?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?="), "If you can read this yo");
  EXPECT_EQ(decode_encoded_words("=?utf-8*en?q?hi?="), "hi");  // RFC 2231 language
  EXPECT_EQ(decode_encoded_words("=?KOI8-R?B?8NLJ18XU?="), "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
}

TEST(EncodedWords, SplitMultibyteCharacterAcrossWords) {
  // "é" (C3 A9) split between two adjacent words in one charset.
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?=C3?= =?UTF-8?Q?=A9?="), "\xc3\xa9");
}

TEST(EncodedWords, MalformedOrUnknownLeftAsIs) {
  EXPECT_EQ(decode_encoded_words("=?x-unknown-cs?Q?abc?="), "=?x-unknown-cs?Q?abc?=");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?a b?="), "=?UTF-8?Q?a b?=");
  EXPECT_EQ(decode_encoded_words("=??Q?abc?="), "=??Q?abc?=");
  EXPECT_EQ(decode_encoded_words("plain =? text"), "plain =? text");
  EXPECT_EQ(decode_encoded_words("x=?UTF-8?Q?glued?=y"), "xgluedy");
}

TEST(EncodedWords, HostileRunOfOpenersIsLinear) {
  std::string v;
  for (int i = 0; i < 100000; ++i) v += "=?a?b?x";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(decode_encoded_words(v), v);
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count(),
            500);
}

TEST(TransferEncoding, Base64SkipsJunkAndStopsAtPadding) {
  EXPECT_EQ(decode_base64("aGVs\r\nbG8="), "hello");
  EXPECT_EQ(decode_base64("aGVs bG8=junk"), "hello");
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_EQ(decode_base64("!!!"), "");
}

TEST(TransferEncoding, QuotedPrintable) {
  EXPECT_EQ(decode_quoted_printable("caf=E9 =\r\nau lait  \r\nnext=3D"), "caf\xe9 au lait\r\nnext=");
  EXPECT_EQ(decode_quoted_printable("a=\nb\nc"), "ab\nc");
  EXPECT_EQ(decode_quoted_printable("bad=ZZ=4"), "bad=ZZ=4");
  EXPECT_EQ(decode_q_encoding("a_b=5F=3d"), "a b_=");
}

TEST(Charset, ConvertsOrRefuses) {
  EXPECT_EQ(convert_to_utf8("\xe9", "ISO-8859-1"), "\xc3\xa9");
  EXPECT_EQ(convert_to_utf8("\xe9", "\"latin1\""), "\xc3\xa9");
  EXPECT_EQ(convert_to_utf8("abc", "US-ASCII"), "abc");
  EXPECT_FALSE(convert_to_utf8("abc", "no-such-charset"));
  EXPECT_FALSE(convert_to_utf8("abc", ""));
  // An octet invalid in the charset becomes U+FFFD, the rest survives.
  EXPECT_EQ(convert_to_utf8("a\xff"
                            "b",
                            "ISO-2022-JP"),
            "a\xef\xbf\xbd"
            "b");
}

TEST(MessageHeaders, NulOctetsDoNotEndAValue) {
  const std::string msg("X-Nul: a\0b\r\n\r\n", 14);
  EXPECT_EQ(MessageHeaders::parse(msg).values("x-nul"), (Views{std::string_view("a\0b", 3)}));
}

TEST(MessageHeaders, EmptyMessage) {
  const auto h = MessageHeaders::parse("");
  EXPECT_TRUE(h.fields().empty());
  EXPECT_EQ(h.body_offset(), 0U);
  EXPECT_FALSE(h.truncated());
}

}  // namespace
}  // namespace letterbox::sieve
