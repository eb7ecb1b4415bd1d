// bench_lookup: directory lookups per second against the tests' throwaway slapd, uncached (LdapDirectory,
// a pool of `threads` connections) and cached (CachedDirectory in front), from 1 and 8 threads.
// Median of --runs runs. Addresses alternate between known and unknown users.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "letterbox/directory/cached_directory.hpp"
#include "letterbox/directory/ldap_directory.hpp"
#include "slapd.hpp"

using namespace letterbox;

namespace {

double rate(Directory& directory, unsigned threads, unsigned lookups, const std::vector<Address>& addresses) {
  std::atomic<unsigned> unavailable{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (unsigned i = t; i < lookups; i += threads) {
        if (directory.lookup(addresses[i % addresses.size()]).kind == LookupKind::Unavailable) ++unavailable;
      }
    });
  }
  for (auto& w : workers) w.join();
  if (unavailable != 0) std::fprintf(stderr, "warning: %u lookups unavailable\n", unavailable.load());
  return lookups / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  unsigned runs = 5;
  unsigned lookups = 4000;
  bench::Options(argc, argv, 1).option("--runs", runs).option("--lookups", lookups);
  test::Slapd slapd;
  const std::vector<Address> addresses{{"alice", "example.org", ""},
                                       {"bob.builder", "example.org", ""},
                                       {"nosuchuser", "example.org", ""},
                                       {"carol", "example.org", ""}};
  const bench::Report report("directory lookups, with and without the in-memory cache",
                             "median of " + std::to_string(runs) + " runs, " + std::to_string(lookups) +
                                 " lookups (50 times as many cached), slapd on loopback",
                             "lookups/s", "letterbox");
  for (const bool cached : {false, true}) {
    for (unsigned threads : {1U, 8U}) {
      std::vector<double> rates;
      for (unsigned r = 0; r < runs; ++r) {
        auto settings = slapd.settings();
        settings.pool_size = threads;
        LdapDirectory ldap(settings);
        CachedDirectory cache(ldap, settings);
        Directory& directory = cached ? static_cast<Directory&>(cache) : ldap;
        rates.push_back(rate(directory, threads, cached ? lookups * 50 : lookups, addresses));
      }
      report.row(std::string(cached ? "cached" : "uncached") + ", " + std::to_string(threads) + " threads", rates);
    }
  }
  return 0;
}
