// fileinto folder names: modified UTF-7 (RFC 3501 §5.1.3), Maildir++ directories and mbox paths.
#include "letterbox/sieve/mailbox_name.hpp"

#include <gtest/gtest.h>

#include "letterbox/sieve/modified_utf7.hpp"

namespace letterbox::sieve {
namespace {

std::string maildir(std::string_view name) {
  std::string why;
  const auto dir = maildir_folder(name, why);
  return dir ? *dir : "refused: " + why;
}

TEST(ModifiedUtf7, Rfc3501Examples) {
  EXPECT_EQ(encode_modified_utf7("\xe5\x8f\xb0\xe5\x8c\x97"), "&U,BTFw-");                // 台北
  EXPECT_EQ(encode_modified_utf7("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), "&ZeVnLIqe-");  // 日本語
  EXPECT_EQ(encode_modified_utf7("Entw\xc3\xbc"
                                 "rfe"),
            "Entw&APw-rfe");
  EXPECT_EQ(encode_modified_utf7("R&D"), "R&-D");
  EXPECT_EQ(encode_modified_utf7("plain ~text"), "plain ~text");
}

TEST(ModifiedUtf7, AstralPlaneAsSurrogatePair) {
  EXPECT_EQ(encode_modified_utf7("\xf0\x9f\x98\x80"), "&2D3eAA-");  // U+1F600
}

TEST(ModifiedUtf7, InvalidUtf8Refused) {
  EXPECT_FALSE(encode_modified_utf7("\xff"));
  EXPECT_FALSE(encode_modified_utf7("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(encode_modified_utf7("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(encode_modified_utf7("\xe2\x82"));          // cut short
  EXPECT_FALSE(encode_modified_utf7("\xf4\x90\x80\x80"));  // beyond U+10FFFF
}

TEST(MailboxName, MaildirFolders) {
  // Pigeonhole's sieve-test with Dovecot's defaults stores "Other.sub" in .Other.sub and "Café" in
  // .Caf&AOk-; it refuses "Lists/dev", which letterbox.conf(5) puts in .Lists.dev.
  EXPECT_EQ(maildir("Other.sub"), ".Other.sub");
  EXPECT_EQ(maildir("Caf\xc3\xa9"), ".Caf&AOk-");
  EXPECT_EQ(maildir("Lists/dev"), ".Lists.dev");
  EXPECT_EQ(maildir("Lists.dev"), ".Lists.dev");  // Dovecot's default separator '.'
  EXPECT_EQ(maildir("Junk"), ".Junk");
  EXPECT_EQ(maildir("INBOX"), "");
  EXPECT_EQ(maildir("inbox"), "");
  EXPECT_EQ(maildir("INBOX/sub"), ".INBOX.sub");
  EXPECT_EQ(maildir("Entw\xc3\xbc"
                    "rfe/R&D"),
            ".Entw&APw-rfe.R&-D");
}

TEST(MailboxName, RefusedNames) {
  EXPECT_EQ(maildir(""), "refused: empty folder name");
  EXPECT_NE(maildir("/abs").find("empty level"), std::string::npos);
  EXPECT_NE(maildir("a//b").find("empty level"), std::string::npos);
  EXPECT_NE(maildir("a/").find("empty level"), std::string::npos);
  EXPECT_NE(maildir("..").find("empty level"), std::string::npos);
  EXPECT_NE(maildir("a/../b").find("empty level"), std::string::npos);
  EXPECT_NE(maildir(".hidden").find("empty level"), std::string::npos);
  EXPECT_NE(maildir("a\nb").find("control"), std::string::npos);
  EXPECT_NE(maildir("bad\xff").find("UTF-8"), std::string::npos);
  EXPECT_NE(maildir(std::string(300, 'x')).find("too long"), std::string::npos);
  std::string deep;
  for (int i = 0; i < 17; ++i) deep += "a/";
  EXPECT_NE(maildir(deep + "a").find("too long"), std::string::npos);
}

TEST(MailboxName, MboxFolders) {
  std::string why;
  EXPECT_EQ(mbox_folder("Lists/dev", why), "Lists/dev");
  EXPECT_EQ(mbox_folder("Lists.dev", why), "Lists/dev");
  EXPECT_EQ(mbox_folder("INBOX", why), "");
  EXPECT_EQ(mbox_folder("Caf\xc3\xa9", why), "Caf&AOk-");
  EXPECT_FALSE(mbox_folder("../etc/passwd", why));
}

TEST(MailboxName, LevelsAreReturnedEncoded) {
  std::string why;
  const auto levels = mailbox_levels("A&B/Caf\xc3\xa9.x", why);
  ASSERT_TRUE(levels);
  EXPECT_EQ(*levels, (std::vector<std::string>{"A&-B", "Caf&AOk-", "x"}));
  EXPECT_TRUE(mailbox_levels("Inbox", why)->empty());
}

}  // namespace
}  // namespace letterbox::sieve
