// The body test's transforms (RFC 5173 §5) on RFC 5173's own example message, and MIME walking limits.
#include "letterbox/sieve/body_parts.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace letterbox::sieve {
namespace {

using Strings = std::vector<std::string>;

// RFC 5173 §5.2's example, with CRLF line ends.
const std::string kExample =
    "From: Whomever\r\nTo: Someone\r\nDate: Whenever\r\nSubject: whatever\r\n"
    "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
    "This is a multi-part message in MIME format.\r\n\r\n"
    "--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
    "This is a nested multi-part message in MIME format.\r\n\r\n"
    "--inner\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n\r\nHello\r\n\r\n"
    "--inner\r\nContent-Type: text/html; charset=\"us-ascii\"\r\n\r\n<html><body>Hello</body></html>\r\n\r\n"
    "--inner--\r\n\r\nThis is the end of the inner MIME multipart.\r\n\r\n"
    "--outer\r\nContent-Type: message/rfc822\r\n\r\n"
    "From: Someone Else\r\nSubject: hello request\r\n\r\nPlease say Hello\r\n\r\n"
    "--outer--\r\n\r\nThis is the end of the outer MIME multipart.\r\n";

Strings content(std::initializer_list<std::string> types) {
  const Strings list(types);
  return body_values(kExample, BodyTransform::content, list);
}

TEST(BodyParts, WalksTheExampleInDocumentOrder) {
  bool truncated = true;
  const auto parts = mime_parts(kExample, {}, truncated);
  EXPECT_FALSE(truncated);
  ASSERT_EQ(parts.size(), 6U);
  const Strings types{parts[0].type + "/" + parts[0].subtype, parts[1].type + "/" + parts[1].subtype,
                      parts[2].type + "/" + parts[2].subtype, parts[3].type + "/" + parts[3].subtype,
                      parts[4].type + "/" + parts[4].subtype, parts[5].type + "/" + parts[5].subtype};
  EXPECT_EQ(types, (Strings{"multipart/mixed", "multipart/alternative", "text/plain", "text/html", "message/rfc822",
                            "text/plain"}));
  EXPECT_EQ(parts[2].depth, 2U);
  EXPECT_EQ(parts[5].depth, 2U);
  EXPECT_EQ(parts[5].body, "Please say Hello\r\n");
}

// RFC 5173 §5: a message that is a header only, with no empty line after it, has no body: every transform
// gives nothing to compare, so that even :contains "" is false. An empty body after the empty line is "".
TEST(BodyParts, HeaderWithoutEmptyLineHasNoBody) {
  for (const auto transform : {BodyTransform::raw, BodyTransform::text, BodyTransform::content}) {
    const Strings all{""};
    EXPECT_EQ(body_values("From: a@example.org\nSubject: x\n", transform, all), Strings{});
    EXPECT_EQ(body_values("From: a@example.org\r\nSubject: x", transform, all), Strings{});
  }
  EXPECT_EQ(body_values("From: a@example.org\n\n", BodyTransform::raw), Strings{""});
  EXPECT_EQ(body_values("From: a@example.org\r\n\r\n", BodyTransform::text), Strings{""});
  EXPECT_EQ(body_values("\nbody only\n", BodyTransform::raw), Strings{"body only\n"});
}

TEST(BodyParts, ContentTextMatchesTheLeavesMarkedDollarAndPercent) {
  EXPECT_EQ(content({"text"}), (Strings{"Hello\r\n", "<html><body>Hello</body></html>\r\n", "Please say Hello\r\n"}));
  EXPECT_EQ(content({"text/plain"}), (Strings{"Hello\r\n", "Please say Hello\r\n"}));
}

TEST(BodyParts, ContentMultipartGivesPrologueAndEpilogue) {
  const auto values = content({"multipart/alternative"});
  EXPECT_EQ(values, (Strings{"This is a nested multi-part message in MIME format.\r\n",
                             "\r\nThis is the end of the inner MIME multipart.\r\n"}));
}

// The header section ends before the empty line that separates it from the body, so that :is compares the
// fields alone, as Pigeonhole does.
TEST(BodyParts, ContentMessageGivesTheNestedHeader) {
  EXPECT_EQ(content({"message/rfc822"}), (Strings{"From: Someone Else\r\nSubject: hello request\r\n"}));
  const Strings rfc822{"message/rfc822"};
  EXPECT_EQ(body_values("Content-Type: message/rfc822\n\nFrom: a@example.org\n\nhi\n", BodyTransform::content, rfc822),
            (Strings{"From: a@example.org\n"}));
}

TEST(BodyParts, ContentTypeSpecifications) {
  EXPECT_EQ(content({""}).size(), 8U);  // two multiparts with two strings each, three leaves, one message
  EXPECT_TRUE(content({"/plain"}).empty());
  EXPECT_TRUE(content({"text/"}).empty());
  EXPECT_TRUE(content({"text/plain/x"}).empty());
  EXPECT_EQ(content({"TEXT/HTML"}).size(), 1U);
  EXPECT_EQ(content({"image", "text/html"}).size(), 1U);
}

TEST(BodyParts, RawIsTheUndecodedBody) {
  const auto raw = body_values(kExample, BodyTransform::raw);
  ASSERT_EQ(raw.size(), 1U);
  EXPECT_EQ(raw[0].substr(0, 44), "This is a multi-part message in MIME format.");
  EXPECT_NE(raw[0].find("--inner\r\nContent-Type: text/html"), std::string::npos);
}

TEST(BodyParts, TextDecodesTransferEncodingsAndCharsets) {
  const std::string msg =
      "Content-Type: multipart/mixed; boundary=\"b 1\"\n\n--b 1\n"
      "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\ncaf=E9\n"
      "--b 1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: BASE64\n\nw6l0w6k=\n"
      "--b 1\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAEC\n--b 1--\n";
  EXPECT_EQ(body_values(msg, BodyTransform::text), (Strings{"caf\xc3\xa9", "\xc3\xa9t\xc3\xa9"}));
  EXPECT_EQ(body_values(msg, BodyTransform::content, Strings{"application"}), (Strings{std::string("\0\1\2", 3)}));
}

TEST(BodyParts, PlainMessageAndDefaults) {
  EXPECT_EQ(body_values("Subject: x\r\n\r\nJust text", BodyTransform::text), (Strings{"Just text"}));
  EXPECT_EQ(body_values("Content-Type: garbage\r\n\r\nstill text", BodyTransform::text), (Strings{"still text"}));
  EXPECT_TRUE(body_values("Content-Type: image/png\r\n\r\nPNG", BodyTransform::text).empty());
  // No closing delimiter: the last part runs to the end.
  EXPECT_EQ(body_values("Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n\r\nopen end", BodyTransform::text),
            (Strings{"open end"}));
}

TEST(BodyParts, DigestPartsDefaultToMessages) {
  const std::string msg =
      "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--d--\r\n";
  bool truncated = false;
  const auto parts = mime_parts(msg, {}, truncated);
  ASSERT_EQ(parts.size(), 3U);
  EXPECT_TRUE(parts[1].is_message());
  EXPECT_EQ(parts[2].body, "inner body");
}

TEST(BodyParts, DeepNestingStopsAtTheDepthLimit) {
  std::string msg;
  for (int i = 0; i < 5000; ++i) msg += "Content-Type: message/rfc822\r\n\r\n";
  msg += "Subject: bottom\r\n\r\nbottom text";
  bool truncated = false;
  const auto start = std::chrono::steady_clock::now();
  const auto parts = mime_parts(msg, {256, 16}, truncated);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(parts.size(), 17U);
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count(),
            1000);
}

TEST(BodyParts, ManyPartsStopAtThePartLimit) {
  std::string msg = "Content-Type: multipart/mixed; boundary=x\r\n\r\n";
  for (int i = 0; i < 10000; ++i) msg += "--x\r\n\r\npart\r\n";
  msg += "--x--\r\n";
  bool truncated = false;
  EXPECT_EQ(mime_parts(msg, {100, 16}, truncated).size(), 100U);
  EXPECT_TRUE(truncated);
}

TEST(BodyParts, SameAsPigeonholeSieveTest) {
  // Each checked against Pigeonhole's sieve-test with body :content / :text :contains and :is.
  const std::string msg =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\npro\r\n--b\r\n"
      "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
      "caf=E9\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: s\r\n\r\ninner body\r\n--b--\r\nepi\r\n";
  EXPECT_EQ(body_values(msg, BodyTransform::content, Strings{"multipart"}), (Strings{"pro", "epi\r\n"}));
  EXPECT_EQ(body_values(msg, BodyTransform::content, Strings{"text/plain"}), (Strings{"caf\xc3\xa9", "inner body"}));
  // Re-checked: sieve-test matches :is "Subject: s\r\n", not with the empty line after it.
  EXPECT_EQ(body_values(msg, BodyTransform::content, Strings{"message/rfc822"}), (Strings{"Subject: s\r\n"}));
  EXPECT_EQ(body_values(msg, BodyTransform::text), (Strings{"caf\xc3\xa9", "inner body"}));
}

}  // namespace
}  // namespace letterbox::sieve
