// bench_lda: whole-process deliveries per second of letterbox-lda and of dovecot-lda into a Maildir, each
// run once per message as an MTA would, both looking the recipient up in the same slapd, fsync on for
// both. Median of --runs runs of --messages deliveries each. Run as root (Dovecot must be started as
// root); deliveries run as nobody.
// Scenarios: one stream and four concurrent streams (Postfix pipe(8)'s way) with an LDAP lookup per
// delivery, and four streams with letterbox-lda on the shared directory cache ([ldap] cache_file).
//   bench_lda LETTERBOX_LDA [--runs 5] [--messages 200]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "dovecot.hpp"
#include "slapd.hpp"
#include "test_support.hpp"

using namespace letterbox;
using bench::median;

namespace {

// Deliveries per second from `streams` concurrent streams, each running one process per message, as
// Postfix's pipe(8) does with a destination concurrency of `streams`.
double rate(const std::vector<std::string>& argv, unsigned messages, unsigned streams, const std::string& message) {
  std::atomic<bool> failed{false};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (unsigned s = 0; s < streams; ++s) {
    threads.emplace_back([&, s] {
      for (unsigned i = s; i < messages && !failed; i += streams) {
        const auto r = test::run(argv, message);
        if (r.exit_code != 0) {
          std::fprintf(stderr, "delivery failed (exit %d): %s\n", r.exit_code, r.output.c_str());
          failed = true;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed) return 0;
  return messages / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_lda LETTERBOX_LDA [--runs N] [--messages N]\n");
    return 64;
  }
  const std::string letterbox_lda = argv[1];
  unsigned runs = 5;
  unsigned messages = 200;
  bench::Options(argc, argv, 2).option("--runs", runs).option("--messages", messages);
  test::become_unprivileged();
  if (!test::started_as_root()) {
    std::fprintf(stderr, "bench_lda: run as root (Dovecot is started as root; deliveries run as nobody)\n");
    return 1;
  }
  test::Slapd slapd;
  test::TempDir tmp;
  const auto ours_root = tmp / "letterbox-mail";
  const auto theirs_root = tmp / "dovecot-mail";
  std::filesystem::create_directories(ours_root);
  std::filesystem::create_directories(theirs_root);
  std::filesystem::create_directories(tmp / "run");
  const auto ldap = slapd.settings();
  const std::string config = "[ldap]\nuri = " + slapd.uri() + "\nbase = " + ldap.base + "\nbind_dn = " + ldap.bind_dn +
                             "\nbind_password_file = " + ldap.bind_password_file + "\nfilter = " + ldap.filter +
                             "\n[delivery]\nmail_root = " + ours_root.string() + "\n[log]\nlevel = warn\n";
  test::write_file(tmp / "uncached.conf", config);
  test::write_file(tmp / "cached.conf",
                   std::string(config).replace(config.find("[delivery]"), 0,
                                               "cache_file = " + (tmp / "run" / "directory.cache").string() + "\n"));
  bench::Dovecot dovecot(slapd, theirs_root);
  std::string message = "From: bench@example.org\nTo: alice@example.org\nSubject: bench\n\n";
  while (message.size() < 4096) message += "The quick brown fox jumps over the lazy dog, again and again.\n";

  const std::vector<std::string> theirs{"/usr/lib/dovecot/dovecot-lda", "-c", dovecot.config().string(), "-f",
                                        "sender@example.org",           "-d", "alice@example.org"};
  struct Scenario {
    const char* name;
    unsigned streams;
    const char* config;
  };
  const std::vector<Scenario> scenarios{{"1 stream, LDAP lookup each", 1, "uncached.conf"},
                                        {"4 streams, LDAP lookup each", 4, "uncached.conf"},
                                        {"4 streams, shared cache", 4, "cached.conf"}};
  const bench::Report report("whole-process LDA deliveries into one Maildir, 4 KiB, fsync on",
                             "median of " + std::to_string(runs) + " runs of " + std::to_string(messages) +
                                 " deliveries; dovecot-lda asks its auth service, which asks LDAP, every time",
                             "msg/s", "letterbox-lda", "dovecot-lda");
  for (const auto& scenario : scenarios) {
    const std::vector<std::string> ours{
        letterbox_lda, "-c", (tmp / scenario.config).string(), "-f", "sender@example.org", "-a", "alice@example.org"};
    std::vector<double> ours_rates;
    std::vector<double> theirs_rates;
    for (unsigned r = 0; r < runs; ++r) {  // interleaved, taking turns to go first: both see the same disk
      if (r % 2 == 0) ours_rates.push_back(rate(ours, messages, scenario.streams, message));
      theirs_rates.push_back(rate(theirs, messages, scenario.streams, message));
      if (r % 2 == 1) ours_rates.push_back(rate(ours, messages, scenario.streams, message));
      report.progress(scenario.name, r, ours_rates.back(), theirs_rates.back());
    }
    report.row(scenario.name, ours_rates, theirs_rates);
  }
  return 0;
}
