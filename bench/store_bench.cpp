// bench_store: deliveries per second through Deliverer into one Maildir and one mbox, from 1 and from
// N threads, fsync on. Prints the median of the runs. Run as a non-root user (Letterbox refuses root).
//   bench_store [--runs 5] [--messages 2000] [--size 4096] [--dir /var/tmp/x]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "letterbox/config/config.hpp"
#include "letterbox/store/deliverer.hpp"
#include "letterbox/store/mailbox_queue.hpp"
#include "letterbox/store/spool.hpp"

using namespace letterbox;
namespace fs = std::filesystem;

namespace {

double run_once(const fs::path& root, MailboxFormat format, unsigned threads, unsigned messages, std::size_t size) {
  fs::remove_all(root);
  fs::create_directories(root);
  Settings settings = default_settings();
  settings.delivery.mail_root = root.string();
  MailboxQueue locks(settings.delivery.max_lock_waiters * 100);
  settings.delivery.max_lock_waiters = 10000;
  Deliverer deliverer(settings, locks);
  Spool spool;
  std::string body = "From: bench@example.org\nTo: user@example.org\nSubject: bench\n\n";
  while (body.size() < size) body += "The quick brown fox jumps over the lazy dog, again and again.\n";
  body.resize(size - 1);
  body += '\n';
  spool.append(body);
  const Envelope envelope{"sender@example.org", "", ""};
  Recipient recipient{"user@example.org",
                      format == MailboxFormat::Mbox ? "example.org/user.mbox" : "example.org/user/Maildir",
                      format,
                      0,
                      "",
                      "",
                      ""};
  std::atomic<unsigned> failures{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (unsigned i = t; i < messages; i += threads) {
        if (!deliverer.deliver(spool, envelope, recipient).delivered()) ++failures;
      }
    });
  }
  for (auto& w : workers) w.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failures != 0) std::fprintf(stderr, "warning: %u deliveries failed\n", failures.load());
  return messages / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned runs = 5;
  unsigned messages = 2000;
  std::size_t size = 4096;
  fs::path dir = fs::temp_directory_path() / ("letterbox-bench-" + std::to_string(getpid()));
  bench::Options(argc, argv, 1)
      .option("--runs", runs)
      .option("--messages", messages)
      .option("--size", size)
      .option("--dir", dir);
  if (geteuid() == 0) {
    std::fprintf(stderr, "bench_store: run as a non-root user (Letterbox never delivers as root)\n");
    return 1;
  }
  const bench::Report report("the stores alone, in process",
                             "median of " + std::to_string(runs) + " runs, " + std::to_string(messages) +
                                 " messages of " + std::to_string(size) + " bytes, fsync on",
                             "msg/s", "letterbox");
  for (MailboxFormat format : {MailboxFormat::Maildir, MailboxFormat::Mbox}) {
    for (unsigned threads : {1U, 8U}) {
      std::vector<double> rates;
      for (unsigned r = 0; r < runs; ++r) rates.push_back(run_once(dir, format, threads, messages, size));
      report.row(
          std::string(format == MailboxFormat::Mbox ? "mbox" : "maildir") + ", " + std::to_string(threads) + " threads",
          rates);
    }
  }
  fs::remove_all(dir);
  return 0;
}
