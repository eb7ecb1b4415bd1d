#include "letterbox/store/mbox_format.hpp"

#include <gtest/gtest.h>

using namespace letterbox;

TEST(MboxFormat, FromLine) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(mbox_from_line("alice@example.org", 1795534563), "From alice@example.org Tue Nov 24 15:36:03 2026\n");
  EXPECT_EQ(mbox_from_line("", 1795534563), "From MAILER-DAEMON Tue Nov 24 15:36:03 2026\n");
  EXPECT_EQ(mbox_from_line("a b@x", 1795536000), "From a_b@x Tue Nov 24 16:00:00 2026\n");
  EXPECT_EQ(mbox_from_line("x@y", 1795910400), "From x@y Sun Nov 29 00:00:00 2026\n");  // day padded like asctime
}

TEST(MboxFormat, MboxrdQuotesEveryFromLineAndItsQuotedForms) {
  const std::string in = "From a\n>From b\n>>From c\nFrom\nFromage\n From x\nX From y\n>From\n>>Fro\nFrom ";
  const std::string out = ">From a\n>>From b\n>>>From c\nFrom\nFromage\n From x\nX From y\n>From\n>>Fro\n>From ";
  EXPECT_EQ(quote_from_lines(in, FromQuoting::Mboxrd), out);
}

TEST(MboxFormat, MboxoQuotesOnlyPlainFromLines) {
  const std::string in = "From a\n>From b\n>>From c\nFromage\n";
  const std::string out = ">From a\n>From b\n>>From c\nFromage\n";
  EXPECT_EQ(quote_from_lines(in, FromQuoting::Mboxo), out);
}

TEST(MboxFormat, QuotingIsTheSameWhateverTheChunkBoundaries) {
  const std::string in = "Subject: x\n\nFrom here\n>From there\nno From\nFrom\n>>>From deep\nlast From ";
  for (auto style : {FromQuoting::Mboxrd, FromQuoting::Mboxo}) {
    const auto whole = quote_from_lines(in, style);
    for (std::size_t a = 0; a <= in.size(); ++a) {
      for (std::size_t b = a; b <= in.size(); b += 3) {
        FromQuoter q(style);
        std::string out;
        q.feed(std::string_view(in).substr(0, a), out);
        q.feed(std::string_view(in).substr(a, b - a), out);
        q.feed(std::string_view(in).substr(b), out);
        q.finish(out);
        ASSERT_EQ(out, whole) << "split at " << a << "," << b;
      }
    }
  }
}

TEST(MboxFormat, UnquotingMboxrdRestoresTheOriginal) {
  const std::string in = "From a\n>From b\n>>From c\nFrom\n";
  const auto quoted = quote_from_lines(in, FromQuoting::Mboxrd);
  // mboxrd's reader removes one '>' from every ^>+From  line.
  std::string restored;
  std::size_t pos = 0;
  while (pos < quoted.size()) {
    auto nl = quoted.find('\n', pos);
    auto line = quoted.substr(pos, nl - pos + 1);
    const auto arrows = line.find_first_not_of('>');
    if (arrows != std::string::npos && arrows > 0 && line.compare(arrows, 5, "From ") == 0) line.erase(0, 1);
    restored += line;
    pos = nl + 1;
  }
  EXPECT_EQ(restored, in);
}

TEST(MboxFormat, StateFieldsOfTheSenderAreDroppedFromTheHeaderOnly) {
  const std::string in =
      "Subject: hi\nStatus: RO\nx-status: F\nX-Keywords: $Label1\n\tNonJunk\nX-UID: 7\nX-IMAP: 1 2\n"
      "X-IMAPbase: 1 2\nContent-Length : 3\nStatusline: kept\nTo: a@example.org\n\nStatus: RO in the body\n";
  const std::string out = "Subject: hi\nStatusline: kept\nTo: a@example.org\n\nStatus: RO in the body\n";
  EXPECT_EQ(without_mbox_state_fields(in), out);
  // A split at any byte changes nothing.
  for (std::size_t a = 0; a <= in.size(); ++a) {
    MboxStateFieldFilter filter;
    std::string got;
    filter.feed(std::string_view(in).substr(0, a), got);
    filter.feed(std::string_view(in).substr(a), got);
    filter.finish(got);
    ASSERT_EQ(got, out) << "split at " << a;
  }
  EXPECT_EQ(without_mbox_state_fields("Subject: x\r\nStatus: O\r\n\r\nbody\r\n"), "Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(without_mbox_state_fields("Subject: only a header\nStatus: RO"), "Subject: only a header\n");
  EXPECT_EQ(without_mbox_state_fields("\nStatus: RO\n"), "\nStatus: RO\n");
}
