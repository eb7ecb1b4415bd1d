// bench_lmtp: letterbox-lmtpd against Dovecot's LMTP server on this machine, in the same run, both
// looking recipients up in the same slapd, fsync on for both, driven by Postfix's smtp-source:
// 20 sessions, 4 KiB messages, (a) one Maildir, (b) 1,000 different Maildirs created on first delivery
// (one message each), (c) one mbox. Prints messages/s (median of --runs) and the ratio, and the machine's ceiling:
// fsync'd 4 KiB file creations per second from 20 threads. Run as root (Dovecot is started as root).
//   bench_lmtp LETTERBOX_LMTPD [--runs 5] [--messages 2000] [--scenarios abc]
// Each run's pair of figures also goes to stderr, with disk writes and flushes per message, to show how
// much the disk varied. BENCH_NO_PEER=1 skips Dovecot's runs (for profiling ours alone).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "dovecot.hpp"
#include "lmtp_load.hpp"
#include "slapd.hpp"
#include "test_support.hpp"

using namespace letterbox;
using bench::median;
namespace fs = std::filesystem;

namespace {

// The disk's own limit for this workload: 20 threads creating, writing and fsyncing 4 KiB files into
// `dir`, which must not exist yet.
double fsync_ceiling(const fs::path& dir, unsigned files) {
  fs::create_directories(dir);
  const std::string block(4096, 'x');
  std::atomic<unsigned> next{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&] {
      for (unsigned i = next++; i < files; i = next++) {
        const auto path = dir / ("f" + std::to_string(i));
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0) continue;
        if (::write(fd, block.data(), block.size()) < 0 || ::fsync(fd) != 0) std::perror("fsync");
        ::close(fd);
      }
    });
  }
  for (auto& t : threads) t.join();
  return files / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_lmtp LETTERBOX_LMTPD [--runs N] [--messages N] [--scenarios abc]\n");
    return 64;
  }
  const std::string lmtpd = argv[1];
  unsigned runs = 5;
  unsigned messages = 2000;
  std::string wanted = "abc";
  bench::Options(argc, argv, 2).option("--runs", runs).option("--messages", messages).option("--scenarios", wanted);
  test::become_unprivileged();
  if (!test::started_as_root()) {
    std::fprintf(stderr, "bench_lmtp: run as root (Dovecot is started as root; deliveries run as nobody)\n");
    return 1;
  }
  test::Slapd slapd;
  test::TempDir tmp;
  bench::add_numbered_users(slapd, 1, 1000);
  const auto ours_root = tmp / "letterbox-mail";
  const auto theirs_root = tmp / "dovecot-mail";
  const auto theirs_mbox_root = tmp / "dovecot-mbox";
  const auto trash = tmp / "trash";
  const int ours_port = test::free_port();
  const int theirs_port = test::free_port();
  const int theirs_mbox_port = test::free_port();
  test::write_file(tmp / "letterbox.conf", bench::letterbox_config(slapd, ours_port, ours_root, tmp / "lmtpd.log"));
  fs::create_directories(ours_root);
  test::Background ours({lmtpd, "-c", (tmp / "letterbox.conf").string(), "--foreground"});
  test::wait_for_port(ours_port);
  bench::Dovecot theirs(slapd, theirs_root, theirs_port);
  bench::Dovecot theirs_mbox(slapd, theirs_mbox_root, theirs_mbox_port, "mbox:~/mail:INBOX=~/inbox");
  test::wait_for_port(theirs_port);
  test::wait_for_port(theirs_mbox_port);

  struct Scenario {
    const char* name;
    std::string recipient;
    bool numbered;
    int theirs_port;
    fs::path theirs_root;
    unsigned messages;
  };
  // (b) sends one message to each of the 1,000 users (smtp-source -N numbers the recipient per message),
  // so every delivery creates its Maildir. (c) sends a tenth as many messages to both servers: Dovecot's
  // mbox locking makes a full run take minutes.
  const std::vector<Scenario> scenarios{
      {"(a) one Maildir", "alice@example.org", false, theirs_port, theirs_root, messages},
      {"(b) 1,000 Maildirs", "u@example.org", true, theirs_port, theirs_root, 1000},
      {"(c) one mbox", "erin@example.org", false, theirs_mbox_port, theirs_mbox_root, std::max(messages / 10, 20U)}};
  const bench::Report report("LMTP deliveries, letterbox-lmtpd and Dovecot's LMTP on the same machine",
                             "smtp-source -L -s 20 -m " + std::to_string(messages) +
                                 " -l 4096; fsync on for both; median of " + std::to_string(runs) +
                                 " runs; note: messages delivered in the last run (ours/theirs)",
                             "msg/s", "letterbox-lmtpd", "dovecot-lmtp");
  for (const auto& s : scenarios) {
    if (wanted.find(s.name[1]) == std::string::npos) continue;
    std::vector<double> a;
    std::vector<double> b;
    std::size_t ours_count = 0;
    std::size_t theirs_count = 0;
    const bench::Stream load{20, s.messages, s.recipient, s.numbered, ""};
    // Interleaved, so both see the same machine, and taking turns to go first: this disk's flushes are
    // rate-limited, and whoever runs second inherits what the first one used up.
    const bool peer = std::getenv("BENCH_NO_PEER") == nullptr;
    for (unsigned r = 0; r < runs; ++r) {
      auto run_ours = [&] {
        bench::set_aside(ours_root, trash / ("ours" + std::to_string(r)));
        a.push_back(bench::drive(ours_port, {load}, ours_root));
        ours_count = bench::count_messages(ours_root);
      };
      auto run_theirs = [&] {
        bench::set_aside(s.theirs_root, trash / ("theirs" + std::to_string(r)));
        b.push_back(peer ? bench::drive(s.theirs_port, {load}, s.theirs_root) : 1);
        theirs_count = bench::count_messages(s.theirs_root);
      };
      if (r % 2 == 0) {
        run_ours();
        run_theirs();
      } else {
        run_theirs();
        run_ours();
      }
      report.progress(s.name, r, a.back(), b.back());
    }
    test::run_as_root({"rm", "-rf", trash.string()});
    test::run_as_root({"sync"});
    report.row(s.name, a, b,
               std::to_string(ours_count) + "/" + std::to_string(theirs_count) + " of " + std::to_string(s.messages));
  }
  std::vector<double> ceiling;
  for (unsigned r = 0; r < runs; ++r) {
    test::run_as_root({"sync"});
    ceiling.push_back(fsync_ceiling(tmp / "ceiling" / std::to_string(r), messages));
    report.progress("machine ceiling", r, ceiling.back());
  }
  fs::remove_all(tmp / "ceiling");
  report.closing("machine ceiling: " + std::to_string(static_cast<long>(median(ceiling))) +
                 " fsync'd 4 KiB file creations/s from 20 threads");
  return 0;
}
