// bench_policy: letterbox-policyd against Debian's postgrey on this machine, in the same run, driven by
// the same client: 20 connections over TCP on the loopback, greylisting on for both, each connection
// sending RCPT-stage requests one after another as smtpd does. Half the requests name a triplet that has
// passed (the warm-up made it known), half a triplet never seen (deferred). letterbox-policyd also checks
// each recipient against the directory (a warm cache) and the quota, as it would in production.
// Prints requests/s (median of --runs), the ratio, and the p99 latency of each.
//   bench_policy LETTERBOX_POLICYD [--runs 5] [--requests 20000]
// Run as root: slapd, both servers and the client then run as nobody.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "lmtp_load.hpp"
#include "policy_client.hpp"
#include "slapd.hpp"
#include "test_support.hpp"

using namespace letterbox;
using bench::median;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr unsigned kConnections = 20;
constexpr unsigned kKnownTriplets = 200;

std::string request(const std::string& client, const std::string& sender) {
  return "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=" + client +
         "\nclient_name=mx.sender.test\nhelo_name=mx.sender.test\nsender=" + sender +
         "\nrecipient=alice@example.org\ninstance=1\nsize=4096\n\n";
}

// A known triplet (k < kKnownTriplets) or a new one; each from its own /24 so that auto-allow never kicks in.
std::string triplet_request(unsigned k, bool known, unsigned run) {
  if (known)
    return request("10.1." + std::to_string(k % 250) + ".1", "known" + std::string(1, 'a' + k % 26) + "@s.test");
  return request("10." + std::to_string(2 + run) + "." + std::to_string(k % 250) + "." + std::to_string(k / 250 % 250),
                 "new-" + std::string(1, 'a' + k % 26) + std::string(1, 'a' + k / 26 % 26) +
                     std::string(1, 'a' + k / 676 % 26) + "@s.test");
}

using bench::Connection;

struct RunResult {
  double per_second = 0;
  double p99_ms = 0;
  unsigned deferred = 0;
  unsigned passed = 0;
  unsigned failed = 0;
};

RunResult drive(int port, unsigned requests, unsigned run) {
  std::vector<std::vector<double>> latencies(kConnections);
  std::atomic<unsigned> deferred{0};
  std::atomic<unsigned> passed{0};
  std::atomic<unsigned> failed{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kConnections; ++t) {
    threads.emplace_back([&, t] {
      Connection c(port);
      for (unsigned i = t; i < requests; i += kConnections) {
        const bool known = i % 2 == 0;
        const auto text = triplet_request(known ? i / 2 % kKnownTriplets : i / 2, known, run);
        const auto asked = Clock::now();
        const auto reply = c.ask(text);
        latencies[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - asked).count());
        if (reply.find("DEFER") != std::string::npos || reply.find("action=450") != std::string::npos) {
          ++deferred;
        } else if (reply.starts_with("action=")) {
          ++passed;
        } else {
          ++failed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  RunResult r;
  r.per_second = requests / seconds;
  r.p99_ms = all.empty() ? 0 : all[all.size() * 99 / 100];
  r.deferred = deferred;
  r.passed = passed;
  r.failed = failed;
  return r;
}

// Makes the known triplets known: each asked once, then again after the delay.
void warm_up(int port) {
  Connection c(port);
  for (int round = 0; round < 2; ++round) {
    for (unsigned k = 0; k < kKnownTriplets; ++k) c.ask(triplet_request(k, true, 0));
    if (round == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_policy LETTERBOX_POLICYD [--runs 5] [--requests 20000]\n");
    return 64;
  }
  const std::string policyd = argv[1];
  unsigned runs = 5;
  unsigned requests = 20000;
  bench::Options(argc, argv, 2).option("--runs", runs).option("--requests", requests);
  test::become_unprivileged();  // slapd, both servers and this client run as nobody
  if (!test::started_as_root()) {
    std::fprintf(stderr, "bench_policy: run as root (slapd and the servers then run as nobody)\n");
    return 1;
  }
  test::Slapd slapd;
  test::TempDir tmp;
  const int ours_port = test::free_port();
  const int theirs_port = test::free_port();
  fs::create_directories(tmp / "mail");
  fs::create_directories(tmp / "grey");
  fs::create_directories(tmp / "postgrey");
  test::write_file(
      tmp / "letterbox.conf",
      bench::policyd_config(slapd, ours_port, tmp / "mail", tmp / "policyd.log",
                            "greylist = yes\ngreylist_delay = 2s\ngreylist_auto_allow = 0\ngreylist_db = " +
                                (tmp / "grey" / "greylist.db").string() + "\n"));
  test::Background ours({policyd, "-c", (tmp / "letterbox.conf").string(), "--foreground"});
  // postgrey as Debian ships it (Net::Server, Berkeley DB), with the same delay and no auto-whitelisting.
  test::Background theirs({"postgrey", "--inet=127.0.0.1:" + std::to_string(theirs_port),
                           "--dbdir=" + (tmp / "postgrey").string(), "--delay=2", "--auto-whitelist-clients=0",
                           "--pidfile=" + (tmp / "postgrey.pid").string()});
  test::wait_for_port(ours_port);
  test::wait_for_port(theirs_port);
  warm_up(ours_port);
  warm_up(theirs_port);

  const bench::Report report("policy requests, letterbox-policyd and postgrey",
                             std::to_string(kConnections) + " connections, " + std::to_string(requests) +
                                 " requests a run (half known triplets, half new), greylisting on; median of " +
                                 std::to_string(runs),
                             "requests/s", "letterbox-policyd", "postgrey");
  std::vector<double> a;
  std::vector<double> b;
  std::vector<double> a99;
  std::vector<double> b99;
  RunResult last_ours;
  RunResult last_theirs;
  for (unsigned r = 0; r < runs; ++r) {
    const auto run_ours = [&] {
      last_ours = drive(ours_port, requests, r);
      a.push_back(last_ours.per_second);
      a99.push_back(last_ours.p99_ms);
    };
    const auto run_theirs = [&] {
      last_theirs = drive(theirs_port, requests, r);
      b.push_back(last_theirs.per_second);
      b99.push_back(last_theirs.p99_ms);
    };
    if (r % 2 == 0) {
      run_ours();
      run_theirs();
    } else {
      run_theirs();
      run_ours();
    }
    report.progress("throughput", r, a.back(), b.back());
  }
  const auto counts = [](const RunResult& run) {
    return std::to_string(run.deferred) + "/" + std::to_string(run.passed) + "/" + std::to_string(run.failed);
  };
  report.row("throughput", a, b,
             "last run deferred/passed/failed: " + counts(last_ours) + " vs " + counts(last_theirs));
  char p99[128];
  std::snprintf(p99, sizeof p99, "p99 latency: %.2f ms vs %.2f ms", median(a99), median(b99));
  report.closing(p99);
  return 0;
}
