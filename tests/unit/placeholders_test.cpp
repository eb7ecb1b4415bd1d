// The one "%x" expander and its callers' rules: [ldap] filter (values escaped for LDAP, an unknown letter
// kept as written), [delivery] mailbox_template (an unknown letter or an unsafe value refuses the
// template) and the configuration's checks (only the named letters, no '%' ending the text).
#include "letterbox/util/placeholders.hpp"

#include <gtest/gtest.h>

#include "letterbox/config/config.hpp"
#include "letterbox/directory/recipient_resolver.hpp"
#include "letterbox/util/text.hpp"

using namespace letterbox;

namespace {

std::optional<std::string> upper_letter(char letter) {
  if (letter == 'x') return std::nullopt;
  return std::string("<") + static_cast<char>(letter - 'a' + 'A') + ">";
}

Address address(std::string_view text) {
  std::string why;
  auto parsed = parse_address(text, "+", why);
  EXPECT_TRUE(parsed) << why;
  return *parsed;
}

}  // namespace

TEST(Placeholders, ReplacesEachLetterAndKeepsTheRest) {
  EXPECT_EQ(expand_placeholders("(mail=%s)", upper_letter), "(mail=<S>)");
  EXPECT_EQ(expand_placeholders("%d/%u/Maildir", upper_letter), "<D>/<U>/Maildir");
  EXPECT_EQ(expand_placeholders("no placeholder", upper_letter), "no placeholder");
  EXPECT_EQ(expand_placeholders("", upper_letter), "");
}

TEST(Placeholders, DoublePercentIsOnePercent) {
  EXPECT_EQ(expand_placeholders("100%%", upper_letter), "100%");
  EXPECT_EQ(expand_placeholders("%%s", upper_letter), "%s");  // not a placeholder
  EXPECT_EQ(expand_placeholders("%%%s", upper_letter), "%<S>");
}

TEST(Placeholders, ALonePercentAtTheEndIsKeptOrRefused) {
  EXPECT_EQ(expand_placeholders("50%", upper_letter), "50%");
  EXPECT_EQ(expand_placeholders("50%", upper_letter, LonePercent::Refused), std::nullopt);
  EXPECT_EQ(expand_placeholders("50%%", upper_letter, LonePercent::Refused), "50%");
}

TEST(Placeholders, ARefusedLetterRefusesTheTemplate) {
  EXPECT_EQ(expand_placeholders("a%xb", upper_letter), std::nullopt);
  EXPECT_EQ(expand_placeholders("%s%x", upper_letter), std::nullopt);
}

TEST(Placeholders, KnownLettersAsTheConfigurationChecksThem) {
  EXPECT_TRUE(placeholders_known("(mail=%s)", "sud"));
  EXPECT_TRUE(placeholders_known("(&(uid=%u)(dc=%d)(x=100%%))", "sud"));
  EXPECT_FALSE(placeholders_known("(mail=%a)", "sud"));
  EXPECT_FALSE(placeholders_known("(mail=%s)%", "sud"));
  EXPECT_FALSE(placeholders_known(std::string_view("%\0", 2), "sud"));
}

TEST(Placeholders, MailboxTemplateRefusesUnknownLettersAndUnsafeValues) {
  EXPECT_EQ(expand_mailbox_template("%d/%u/Maildir", address("Bob@Example.org")), "example.org/bob/Maildir");
  EXPECT_EQ(expand_mailbox_template("%a/", address("bob@example.org")), "bob@example.org/");
  EXPECT_EQ(expand_mailbox_template("100%%/%u", address("bob@example.org")), "100%/bob");
  EXPECT_EQ(expand_mailbox_template("%u%", address("bob@example.org")), "bob%");
  EXPECT_EQ(expand_mailbox_template("%s/%u", address("bob@example.org")), "");       // %s is the filter's
  EXPECT_EQ(expand_mailbox_template("%d/%u", address("a/b@example.org")), "");       // '/' would leave the path
  EXPECT_EQ(expand_mailbox_template("%u", Address{".bob", "example.org", ""}), "");  // a hidden directory
}

TEST(Placeholders, TheConfigurationRefusesWhatTheExpanderWouldNotKnow) {
  const auto with = [](std::string_view section_and_key) {
    return "[ldap]\nbase = dc=example,dc=org\n" + std::string(section_and_key) + "\n";
  };
  EXPECT_NO_THROW(parse_config(with("filter = (&(mail=%s)(uid=%u)(dc=%d)(x=%%))"), "test"));
  EXPECT_THROW(parse_config(with("filter = (mail=%a)"), "test"), ConfigError);
  EXPECT_THROW(parse_config(with("filter = (mail=%s)%"), "test"), ConfigError);
  EXPECT_NO_THROW(parse_config("[delivery]\nmailbox_template = %d/%u/%a/%%\n", "test"));
  EXPECT_THROW(parse_config("[delivery]\nmailbox_template = %d/%s\n", "test"), ConfigError);
  EXPECT_THROW(parse_config("[delivery]\nmailbox_template = %d/%u%\n", "test"), ConfigError);
}

TEST(Text, AsciiCaseFoldingLeavesOtherBytesAlone) {
  EXPECT_EQ(ascii_lower("Bob.Builder@EXAMPLE.org"), "bob.builder@example.org");
  EXPECT_EQ(ascii_upper("rcpt to:"), "RCPT TO:");
  EXPECT_EQ(ascii_lower("\xC3\x89t\xC3\xA9"), "\xC3\x89t\xC3\xA9");  // UTF-8 is not folded
  EXPECT_TRUE(iequals_ascii("8BitMime", "8BITMIME"));
  EXPECT_FALSE(iequals_ascii("LAST", "LAS"));
}

TEST(Text, WordsAndDecimalNumbers) {
  EXPECT_EQ(split_words("  a b\t,c,,", " \t,"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split_words("a\tb", " "), (std::vector<std::string>{"a\tb"}));
  EXPECT_TRUE(split_words("   ", " ").empty());
  EXPECT_EQ(parse_decimal("4096"), 4096U);
  EXPECT_EQ(parse_decimal("18446744073709551615"), 18446744073709551615ULL);
  EXPECT_EQ(parse_decimal("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parse_decimal(""), std::nullopt);
  EXPECT_EQ(parse_decimal("+1"), std::nullopt);
  EXPECT_EQ(parse_decimal("-1"), std::nullopt);
  EXPECT_EQ(parse_decimal("12 "), std::nullopt);
}
