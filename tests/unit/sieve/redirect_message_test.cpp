// The redirected message's exact bytes, the loop checks, and the identity of one redirect.
#include "letterbox/sieve/redirect_message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace letterbox::sieve {
namespace {

std::string joined(const RedirectMessage& message) {
  std::string out;
  for (const auto part : message.parts()) out += part;
  return out;
}

TEST(RedirectMessage, TheMarkGoesFirstAndReturnPathFieldsAreLeftOut) {
  const std::string original =
      "Return-Path: <alice@example.com>\r\n"
      "Received: from mx.example.com\r\n\tby mx.example.org; Sun, 6 Dec 2026 06:00:00 +0000\r\n"
      "return-path:\r\n <old@example.net>\r\n"
      "Subject: Hi\r\n"
      "\r\n"
      "Return-Path: in the body stays\r\n";
  const RedirectMessage message(original, "bob@example.org");
  EXPECT_EQ(message.mark(), "X-Sieve-Redirected-From: bob@example.org\r\n");
  EXPECT_EQ(joined(message),
            "X-Sieve-Redirected-From: bob@example.org\r\n"
            "Received: from mx.example.com\r\n\tby mx.example.org; Sun, 6 Dec 2026 06:00:00 +0000\r\n"
            "Subject: Hi\r\n"
            "\r\n"
            "Return-Path: in the body stays\r\n");
}

TEST(RedirectMessage, WithoutReturnPathTheOriginalIsOnePieceUntouched) {
  const std::string original = "Subject: Hi\r\n\r\nbody\r\n";
  const RedirectMessage message(original, "bob@example.org");
  const auto parts = message.parts();
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].data(), original.data());  // a view, not a copy
  EXPECT_EQ(parts[1].size(), original.size());
}

TEST(RedirectMessage, AReturnPathJustBeforeTheBodyOrAtTheEndIsLeftOut) {
  EXPECT_EQ(joined(RedirectMessage("Subject: Hi\r\nReturn-Path: <a@x>\r\n\r\nbody\r\n", "b@y")),
            "X-Sieve-Redirected-From: b@y\r\nSubject: Hi\r\n\r\nbody\r\n");
  EXPECT_EQ(joined(RedirectMessage("Subject: Hi\r\nReturn-Path: <a@x>", "b@y")),
            "X-Sieve-Redirected-From: b@y\r\nSubject: Hi\r\n");
}

TEST(RedirectMessage, ALeadingMboxFromLineIsLeftOut) {
  EXPECT_EQ(joined(RedirectMessage("From alice@example.com Sun Dec  6 06:00:00 2026\nSubject: Hi\n\nbody\n", "b@y")),
            "X-Sieve-Redirected-From: b@y\nSubject: Hi\n\nbody\n");
}

TEST(RedirectMessage, TheMarkEndsLikeTheOriginalsLines) {
  EXPECT_EQ(joined(RedirectMessage("Subject: Hi\n\nbody\n", "b@y")),
            "X-Sieve-Redirected-From: b@y\nSubject: Hi\n\nbody\n");
}

TEST(RedirectMessage, ARedirectedMessageIsRecognisedAsALoopByItsSender) {
  const std::string original = "Subject: Hi\r\nMessage-ID: <m@x>\r\n\r\nbody\r\n";
  const auto sent = joined(RedirectMessage(original, "bob@example.org"));
  const std::vector<std::string> bob{"bob@example.org"};
  EXPECT_EQ(redirect_loop(MessageHeaders::parse(sent), bob, "carol@example.net"), RedirectLoop::redirected_by_user);
  EXPECT_EQ(redirect_loop(MessageHeaders::parse(original), bob, "carol@example.net"), RedirectLoop::none);
}

TEST(RedirectLoop, EachRule) {
  const std::vector<std::string> user{"bob@example.org", "robert@example.org"};
  auto check = [&](const std::string& fields) {
    return redirect_loop(MessageHeaders::parse(fields + "Subject: x\r\n\r\n"), user, "carol@example.net");
  };
  EXPECT_EQ(check(""), RedirectLoop::none);
  EXPECT_EQ(check("X-Sieve-Redirected-From: <Robert@Example.ORG> \r\n"), RedirectLoop::redirected_by_user);
  EXPECT_EQ(check("X-Sieve-Redirected-From: dave@example.com\r\nx-sieve-redirected-from: bob@example.org\r\n"),
            RedirectLoop::redirected_by_user);
  EXPECT_EQ(check("X-Sieve-Redirected-From: carol@example.net\r\n"), RedirectLoop::redirected_by_target);
  EXPECT_EQ(check("Delivered-To: CAROL@example.net\r\n"), RedirectLoop::delivered_to_target);
  // The Delivered-To of this very delivery names the user, and says nothing about a loop.
  EXPECT_EQ(check("Delivered-To: bob@example.org\r\n"), RedirectLoop::none);
  EXPECT_EQ(check("X-Sieve-Redirected-From: bob@example.org.evil\r\n"), RedirectLoop::none);
  EXPECT_EQ(describe(RedirectLoop::redirected_by_user), "the message was redirected by this user before");
}

TEST(RedirectDuplicateId, OneRedirectOfOneMessage) {
  auto id = [](const std::string& fields, std::string_view target = "carol@example.net") {
    return redirect_duplicate_id(MessageHeaders::parse(fields + "\r\nbody\r\n"), "bob@example.org", target);
  };
  const std::string plain = "Message-ID: <m@x>\r\nSubject: a\r\n";
  EXPECT_EQ(id(plain), id("Received: by another hop\r\n" + plain));  // a retry via another path is the same
  EXPECT_EQ(id(plain), id(plain, "Carol@Example.NET"));
  EXPECT_NE(id(plain), id(plain, "dave@example.net"));
  EXPECT_NE(id(plain), id(plain + "Resent-Message-ID: <r@x>\r\n"));
  EXPECT_NE(id(plain), id(plain + "List-Id: <dev.lists.example.com>\r\n"));
  EXPECT_NE(id(plain), id("Message-ID: <other@x>\r\nSubject: a\r\n"));
  // No Message-ID: the header section stands for the message.
  EXPECT_EQ(id("Subject: a\r\nFrom: x@y\r\n"), id("Subject: a\r\nFrom: x@y\r\n"));
  EXPECT_NE(id("Subject: a\r\nFrom: x@y\r\n"), id("Subject: b\r\nFrom: x@y\r\n"));
}

}  // namespace
}  // namespace letterbox::sieve
