// print_run_result: the exact text docs/sieve.md defines (quoting, encoded bytes, tag order, the implicit
// keep last, discard, the error line), which corpora of expected outputs are written against.
#include <gtest/gtest.h>

#include "letterbox/sieve/run_result.hpp"

namespace letterbox::sieve {
namespace {

RunResult of(std::vector<Action> actions) {
  RunResult r;
  r.actions = std::move(actions);
  return r;
}

TEST(RunResultPrinter, EachAction) {
  VacationAction v;
  v.reply_to = "coyote@desert.example.org";
  v.period = 3 * 86400;
  v.subject = "Gone";
  v.from = "rr@acme.example.com";
  v.handle = "h";
  v.mime = true;
  v.reason = "Back soon.";
  const auto r = of({{KeepAction{{"\\Seen", "$label"}, "", false}, {1, 1}, false},
                     {FileintoAction{"Lists/dev", true, {"\\Flagged"}}, {2, 1}, false},
                     {FileintoAction{"X", false, {}}, {3, 1}, false},
                     {RedirectAction{"bob@example.org"}, {4, 1}, false},
                     {VacationAction{v}, {5, 1}, false}});
  EXPECT_EQ(print_run_result(r),
            "keep :flags [\"\\\\Seen\", \"$label\"]\n"
            "fileinto :create :flags [\"\\\\Flagged\"] \"Lists/dev\"\n"
            "fileinto \"X\"\n"
            "redirect \"bob@example.org\"\n"
            "vacation :days 3 :subject \"Gone\" :from \"rr@acme.example.com\" :handle \"h\" :mime to "
            "\"coyote@desert.example.org\" \"Back soon.\"\n");
  EXPECT_EQ(print_run_result(of({{RejectAction{"no", false}, {1, 1}, false}})), "reject \"no\"\n");
  EXPECT_EQ(print_run_result(of({{RejectAction{"no", true}, {1, 1}, false}})), "ereject \"no\"\n");
  v.period = 1800;
  v.period_in_seconds = true;
  v.subject.reset();
  v.from.reset();
  v.mime = false;
  EXPECT_EQ(print_run_result(of({{v, {1, 1}, false}})),
            "vacation :seconds 1800 :handle \"h\" to \"coyote@desert.example.org\" \"Back soon.\"\n");
}

// tests/sieve/README.md: a fileinto that named the inbox keeps its name (the store is the keep's).
TEST(RunResultPrinter, FileintoTheInbox) {
  EXPECT_EQ(print_run_result(of({{KeepAction{{"\\Seen"}, "INBOX", true}, {1, 1}, false}})),
            "fileinto :create :flags [\"\\\\Seen\"] \"INBOX\"\n");
}

// '"' and '\' escaped; control characters (C0, DEL, C1) and bytes that are not UTF-8 as ${hex:XX}; other
// UTF-8 as it is.
TEST(RunResultPrinter, Quoting) {
  EXPECT_EQ(print_run_result(of({{RejectAction{"a\"b\\c\r\nd\te\x7f"
                                               "f\xc2\x85g\xff\xc3h caf\xc3\xa9 ${x}",
                                               false},
                                  {1, 1},
                                  false}})),
            "reject \"a\\\"b\\\\c${hex:0D}${hex:0A}d${hex:09}e${hex:7F}f${hex:C2}${hex:85}g${hex:FF}${hex:C3}h "
            "caf\xc3\xa9 ${x}\"\n");
}

TEST(RunResultPrinter, DiscardAndError) {
  EXPECT_EQ(print_run_result(of({})), "discard\n");
  RunResult r = of({{KeepAction{{}, "", false}, {0, 0}, true}});
  r.error = RunError{Diagnostic{{3, 7}, "boom\nbang"}, 0, ""};
  EXPECT_EQ(print_run_result(r), "error 3:7: boom${hex:0A}bang\nkeep\n");
  EXPECT_FALSE(r.discarded());
}

}  // namespace
}  // namespace letterbox::sieve
