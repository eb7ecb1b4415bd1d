#include "letterbox/observe/metrics.hpp"

#include <gtest/gtest.h>

#include "letterbox/directory/shared_cache.hpp"
#include "test_support.hpp"

using namespace letterbox;
using namespace letterbox::test;
using namespace std::chrono_literals;

TEST(Metrics, EveryOutcomeHasItsCountedReply) {
  for (const auto status : {Status::Delivered, Status::UserUnknown, Status::MailboxDisabled, Status::MailboxPending,
                            Status::DirectoryUnavailable, Status::MailboxLocked, Status::MailboxFull, Status::DiskFull,
                            Status::LocalError, Status::MessageTooBig, Status::LineTooLong, Status::MailboxElsewhere}) {
    for (const auto reply : {QuotaFullReply::Retry450, QuotaFullReply::Retry452, QuotaFullReply::Bounce552}) {
      const auto outcome = make_outcome(status, "", reply);
      const auto index = counted_reply_index(outcome);
      ASSERT_TRUE(index) << lmtp_reply(outcome, "x@y");
      EXPECT_EQ(kCountedReplies[*index].code, outcome.code);
      EXPECT_EQ(kCountedReplies[*index].enhanced, outcome.enhanced);
    }
  }
}

TEST(Metrics, CountsDeliveriesLookupsLocksSessionsAndDecisions) {
  Metrics m;
  m.count_delivery(make_outcome(Status::Delivered), true, 3ms);
  m.count_delivery(make_outcome(Status::Delivered), true, 40ms);
  m.count_delivery(make_outcome(Status::UserUnknown), false, 0ms);
  m.count_delivery(make_outcome(Status::MailboxFull, "", QuotaFullReply::Retry452), true, 2s);
  Lookup stale;
  stale.kind = LookupKind::Found;
  stale.source = LookupSource::Stale;
  m.count_lookup(stale);
  m.observe_directory_lookup(700us);
  m.count_lock_wait(120ms, true);
  m.count_lock_wait(10s, false);
  m.session_opened();
  m.session_opened();
  m.session_closed();
  m.count_policy_decision("DUNNO");
  m.count_policy_decision("DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds");
  m.count_policy_decision("DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 10 seconds");
  m.count_policy_decision("PREPEND X-Greylist: delayed 301 seconds");
  m.count_policy_decision("550 5.1.1 User unknown");
  const auto text = m.render(MetricsExtras{"letterbox-test", std::nullopt, 7});

  EXPECT_TRUE(text.starts_with("# HELP letterbox_build_info "));
  EXPECT_TRUE(has_sample(text, R"(letterbox_deliveries_total{code="250",enhanced="2.0.0"} 2)")) << text;
  EXPECT_TRUE(has_sample(text, R"(letterbox_deliveries_total{code="550",enhanced="5.1.1"} 1)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_deliveries_total{code="452",enhanced="4.2.2"} 1)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_deliveries_total{code="450",enhanced="4.2.2"} 0)"));
  // Cumulative buckets; the refusal at RCPT is not a delivery's latency.
  EXPECT_TRUE(has_sample(text, R"(letterbox_delivery_duration_seconds_bucket{le="0.001"} 0)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_delivery_duration_seconds_bucket{le="0.005"} 1)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_delivery_duration_seconds_bucket{le="0.05"} 2)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_delivery_duration_seconds_bucket{le="2.5"} 3)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_delivery_duration_seconds_bucket{le="+Inf"} 3)"));
  EXPECT_TRUE(has_sample(text, "letterbox_delivery_duration_seconds_sum 2.043"));
  EXPECT_TRUE(has_sample(text, "letterbox_delivery_duration_seconds_count 3"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_lookups_total{result="found",source="stale"} 1)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_lookups_total{result="found",source="cache"} 0)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_directory_lookup_duration_seconds_bucket{le="0.001"} 1)"));
  EXPECT_TRUE(has_sample(text, "letterbox_lock_waits_total 2"));
  EXPECT_TRUE(has_sample(text, "letterbox_lock_timeouts_total 1"));
  EXPECT_TRUE(has_sample(text, "letterbox_sessions_open 1"));
  EXPECT_TRUE(has_sample(text, "letterbox_sessions_total 2"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_policy_decisions_total{action="DUNNO",enhanced=""} 1)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_policy_decisions_total{action="DEFER_IF_PERMIT",enhanced="4.7.1"} 2)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_policy_decisions_total{action="PREPEND",enhanced=""} 1)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_policy_decisions_total{action="550",enhanced="5.1.1"} 1)"));
  EXPECT_TRUE(has_sample(text, "letterbox_greylist_entries 7"));
  EXPECT_EQ(text.find("letterbox_lda_deliveries_total"), std::string::npos);  // no shared file, no LDA counts
  EXPECT_EQ(text.back(), '\n');
}

TEST(Metrics, CountsSieveRedirectsAndVacationRepliesByResult) {
  Metrics m;
  m.count_redirect(RedirectResult::sent);
  m.count_redirect(RedirectResult::sent);
  m.count_redirect(RedirectResult::skipped);
  m.count_vacation(VacationResult::suppressed);
  m.count_vacation(VacationResult::failed);
  const auto text = m.render(MetricsExtras{"letterbox-test", std::nullopt, std::nullopt});
  EXPECT_TRUE(has_sample(text, R"(letterbox_sieve_redirects_total{result="sent"} 2)")) << text;
  EXPECT_TRUE(has_sample(text, R"(letterbox_sieve_redirects_total{result="failed"} 0)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_sieve_redirects_total{result="skipped"} 1)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_sieve_vacation_replies_total{result="sent"} 0)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_sieve_vacation_replies_total{result="suppressed"} 1)"));
  EXPECT_TRUE(has_sample(text, R"(letterbox_sieve_vacation_replies_total{result="failed"} 1)"));
  EXPECT_NE(text.find("# TYPE letterbox_sieve_redirects_total counter\n"), std::string::npos);
}

TEST(Metrics, LdaCountsLiveInTheSharedCacheFileAcrossOpens) {
  letterbox::test::TempDir dir;
  std::string why;
  {
    auto cache = SharedCache::open(dir / "cache", 64, why);
    ASSERT_TRUE(cache) << why;
    cache->count_delivery(make_outcome(Status::Delivered));
    cache->count_delivery(make_outcome(Status::MailboxLocked));
  }
  auto again = SharedCache::open(dir / "cache", 64, why);
  ASSERT_TRUE(again) << why;
  again->count_delivery(make_outcome(Status::Delivered));
  const auto counts = again->deliveries();
  EXPECT_EQ(counts[*counted_reply_index(make_outcome(Status::Delivered))], 2U);
  EXPECT_EQ(counts[*counted_reply_index(make_outcome(Status::MailboxLocked))], 1U);
  EXPECT_EQ(counts[*counted_reply_index(make_outcome(Status::UserUnknown))], 0U);
  const auto text = Metrics().render(MetricsExtras{"x", counts, std::nullopt});
  EXPECT_TRUE(has_sample(text, R"(letterbox_lda_deliveries_total{code="250",enhanced="2.0.0"} 2)")) << text;
  EXPECT_TRUE(has_sample(text, R"(letterbox_lda_deliveries_total{code="450",enhanced="4.2.0"} 1)"));
  EXPECT_EQ(text.find("letterbox_greylist_entries"), std::string::npos);
  const auto lint = letterbox::test::run({"promtool", "check", "metrics"}, text);
  EXPECT_EQ(lint.exit_code, 0) << lint.output;
}
