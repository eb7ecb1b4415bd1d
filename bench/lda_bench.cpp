// bench_lda: whole-process deliveries per second of letterbox-lda and of dovecot-lda into a Maildir, each
// run once per message as an MTA would, both looking the recipient up in the same slapd, fsync on for
// both. Median of --runs runs of --messages deliveries each. Run as root (Dovecot must be started as
// root); deliveries run as nobody.
//   bench_lda LETTERBOX_LDA [--runs 5] [--messages 200]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "../tests/support/slapd.hpp"
#include "../tests/support/test_support.hpp"
#include "bench_util.hpp"
#include "dovecot.hpp"

using namespace letterbox;
using bench::median;

namespace {

double rate(const std::vector<std::string>& argv, unsigned messages, const std::string& message) {
  const auto start = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < messages; ++i) {
    const auto r = test::run(argv, message);
    if (r.exit_code != 0) {
      std::fprintf(stderr, "delivery failed (exit %d): %s\n", r.exit_code, r.output.c_str());
      return 0;
    }
  }
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
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--runs") runs = static_cast<unsigned>(std::stoul(argv[i + 1]));
    if (flag == "--messages") messages = static_cast<unsigned>(std::stoul(argv[i + 1]));
  }
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
  const auto ldap = slapd.settings();
  test::write_file(tmp / "letterbox.conf",
                   "[ldap]\nuri = " + slapd.uri() + "\nbase = " + ldap.base + "\nbind_dn = " + ldap.bind_dn +
                       "\nbind_password_file = " + ldap.bind_password_file + "\nfilter = " + ldap.filter +
                       "\n[delivery]\nmail_root = " + ours_root.string() + "\n[log]\nlevel = warn\n");
  bench::Dovecot dovecot(slapd, theirs_root);
  std::string message = "From: bench@example.org\nTo: alice@example.org\nSubject: bench\n\n";
  while (message.size() < 4096) message += "The quick brown fox jumps over the lazy dog, again and again.\n";

  const std::vector<std::string> ours{
      letterbox_lda, "-c", (tmp / "letterbox.conf").string(), "-f", "sender@example.org", "-a", "alice@example.org"};
  const std::vector<std::string> theirs{"/usr/lib/dovecot/dovecot-lda", "-c", dovecot.config().string(), "-f",
                                        "sender@example.org",           "-d", "alice@example.org"};
  std::vector<double> ours_rates;
  std::vector<double> theirs_rates;
  for (unsigned r = 0; r < runs; ++r) {  // interleaved, so both see the same machine
    ours_rates.push_back(rate(ours, messages, message));
    theirs_rates.push_back(rate(theirs, messages, message));
  }
  const double a = median(ours_rates);
  const double b = median(theirs_rates);
  std::printf("whole-process LDA deliveries into one Maildir, 4 KiB, fsync on, LDAP lookup each (median of %u x %u)\n",
              runs, messages);
  std::printf("%-16s %10.0f /s\n%-16s %10.0f /s\nratio            %10.2f x\n", "letterbox-lda", a, "dovecot-lda", b,
              b > 0 ? a / b : 0.0);
  return 0;
}
