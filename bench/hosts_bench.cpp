// bench_hosts: what relaying costs ([server] proxy = yes, docs/scaling.md). Two delivery hosts on
// 127.0.0.2 and 127.0.0.3, one slapd; Postfix's smtp-source sends 4 KiB messages over 20 sessions to a
// mailbox on host 2, (direct) to host 2 itself, (proxied) to host 1, which relays each copy to host 2.
// Alternating, median of --runs; prints messages/s and the ratio. Run as root (deliveries run as nobody).
//   bench_hosts LETTERBOX_LMTPD [--runs 5] [--messages 2000]
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "delivery_host.hpp"
#include "slapd.hpp"
#include "test_support.hpp"

using namespace letterbox;
using namespace letterbox::test;
using bench::median;

namespace {

double drive(const std::string& address, int port, unsigned messages) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run({"smtp-source", "-L", "-s", "20", "-m", std::to_string(messages), "-l", "4096", "-f",
                      "sender@client.test", "-t", "judy@example.org", address + ":" + std::to_string(port)});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.exit_code != 0) {
    std::fprintf(stderr, "smtp-source failed: %s\n", r.output.c_str());
    return 0;
  }
  return messages / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_hosts LETTERBOX_LMTPD [--runs N] [--messages N]\n");
    return 64;
  }
  unsigned runs = 5;
  unsigned messages = 2000;
  bench::Options(argc, argv, 2).option("--runs", runs).option("--messages", messages);
  DeliveryHost::program() = argv[1];
  become_unprivileged();
  if (!started_as_root()) {
    std::fprintf(stderr, "bench_hosts: run as root (deliveries run as nobody)\n");
    return 1;
  }
  Slapd slapd;
  slapd.add(
      "dn: uid=judy,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nobjectClass: letterboxAccount\n"
      "uid: judy\ncn: Judy\nsn: Two\nmail: judy@example.org\nletterboxHost: 127.0.0.3\n");
  const int port = free_port();
  DeliveryHost host1("127.0.0.2", port, {&slapd}, "proxy = yes\nmax_sessions = 500\n",
                     "host_attribute = letterboxHost\n");
  DeliveryHost host2("127.0.0.3", port, {&slapd}, "max_sessions = 500\n", "host_attribute = letterboxHost\n");
  const bench::Report report("LMTP to the host that holds the mailbox, directly and proxied through another host",
                             "smtp-source -L -s 20 -m " + std::to_string(messages) +
                                 " -l 4096 to a Maildir on host 2; fsync on; median of " + std::to_string(runs) +
                                 " runs",
                             "msg/s", "proxied via host 1", "direct to host 2");
  std::vector<double> direct;
  std::vector<double> proxied;
  for (unsigned r = 0; r < runs; ++r) {
    // Taking turns to go first: this disk's flushes are rate-limited, and the second inherits the first's.
    if (r % 2 == 0) {
      direct.push_back(drive("127.0.0.3", port, messages));
      proxied.push_back(drive("127.0.0.2", port, messages));
    } else {
      proxied.push_back(drive("127.0.0.2", port, messages));
      direct.push_back(drive("127.0.0.3", port, messages));
    }
    report.progress("proxied vs direct", r, proxied.back(), direct.back());
  }
  std::size_t delivered = 0;
  for (const auto& e : std::filesystem::directory_iterator(host2.maildir("judy") / "new")) {
    (void)e;
    ++delivered;
  }
  report.row(
      "judy@ on host 2", proxied, direct,
      std::to_string(delivered) + " of " + std::to_string(2 * runs * messages) + " messages in host 2's Maildir");
  return 0;
}
