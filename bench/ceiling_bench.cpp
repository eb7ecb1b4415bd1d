// bench_ceiling: letterbox-lmtpd and letterbox-policyd against the least a server can do for the same
// load on this machine, in the same run, run by run in turn (the disk's flushes are rate-limited, so
// whoever goes second inherits what the first used up; the turns alternate). The ceilings are child
// processes of this binary (bench/ceiling_servers.hpp): an LMTP sink that does only a delivery's durable
// work (Maildir: write, fsync, link into new/, fsync new/ with group commit; or an mbox append and
// fsync) and a policy server that answers DUNNO from memory. Both servers and both ceilings see the same
// smtp-source (or policy client) load:
//   (a) 4 KiB messages, one per session, 20 sessions (smtp-source -L -s 20 -l 4096), one Maildir;
//   (b) 50 messages per session (smtp-source -d), 20 sessions, 1,000 messages, one Maildir;
//   (c) 10 recipients per message (smtp-source -r 10), each a different user's Maildir;
//   (d) one mbox user (erin@example.org; the ceiling appends to one file);
//   (e) policy requests at RCPT time, 20 connections one request after another, recipient in a warm
//       directory cache (greylisting off), 10 × --messages requests.
// Per scenario: Letterbox's rate and the ceiling's (median of --runs), Letterbox as a percentage of the
// ceiling, and Letterbox's CPU time (utime+stime of all its threads, /proc/PID/stat) per message (per
// transaction in (c), per request in (e)), futex calls and all system calls per message, counted by
// `strace -c -f -p PID` over one shorter extra run (strace slows the server down, so it never runs during
// the timed runs). The note holds the ceiling's figures and how many messages landed in the last run
// ((e): how many replies were DUNNO, the right answer, in all runs).
// The closing lines list the most frequent system calls per message of each.
//   bench_ceiling LETTERBOX_LMTPD LETTERBOX_POLICYD [--runs 5] [--messages 2000] [--scenarios abcde]
// Run as root, like bench_lmtp: slapd, the servers, the ceilings and the clients run as nobody; strace
// runs as root. (The ceilings are this binary run as `bench_ceiling --sink PORT DIR [mbox]` and
// `bench_ceiling --responder PORT`.)
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "ceiling_servers.hpp"
#include "lmtp_load.hpp"
#include "policy_client.hpp"
#include "process_usage.hpp"
#include "slapd.hpp"
#include "test_support.hpp"

using namespace letterbox;
using bench::median;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr unsigned kConnections = 20;

std::string policy_request(unsigned k) {
  return "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=10.1." +
         std::to_string(k % 250) + "." + std::to_string(1 + k / 250 % 250) +
         "\nclient_name=mx.sender.test\nhelo_name=mx.sender.test\nsender=someone@s.test"
         "\nrecipient=alice@example.org\ninstance=" +
         std::to_string(k) + "\nsize=4096\n\n";
}

struct PolicyRun {
  double per_second = 0;
  unsigned dunno = 0;  // "action=DUNNO", the answer for a known recipient with greylisting off
  unsigned other = 0;  // anything else, or no reply
};

// `requests` policy requests over kConnections connections, each one request after another.
PolicyRun drive_policy(int port, unsigned requests) {
  std::atomic<unsigned> dunno{0};
  std::atomic<unsigned> other{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kConnections; ++t) {
    threads.emplace_back([&, t] {
      bench::Connection c(port);
      for (unsigned i = t; i < requests; i += kConnections) {
        if (c.ask(policy_request(i)) == "action=DUNNO") {
          ++dunno;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  PolicyRun r;
  r.per_second = requests / std::chrono::duration<double>(Clock::now() - start).count();
  r.dunno = dunno;
  r.other = other;
  return r;
}

// One server under test: its process, and what it costs per message.
struct Side {
  const char* label;
  pid_t pid;
  int port;
  fs::path root;  // where its mail lands (LMTP)
  std::vector<double> rates;
  std::vector<double> cpu_us;  // per message, each run
  std::size_t delivered = 0;   // in the last timed run
  bench::SyscallCounts calls;
};

std::string fixed(double v, int decimals = 1) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

std::string syscall_summary(const bench::SyscallCounts& c, double n) {
  if (!c.ok) return "strace failed";
  return "futex " + fixed(c.futex / n) + ", syscalls " + fixed(c.total / n);
}

// The timed runs and the strace run of one scenario, ours and the ceiling's; `run` drives one side
// (port, messages, mail root) and returns the rate.
template <class Run>
void measure(Side& ours, Side& ceiling, unsigned runs, unsigned messages, unsigned traced_messages,
             const fs::path& trash, const bench::Report& report, const std::string& name, Run run) {
  for (unsigned r = 0; r < runs; ++r) {
    auto one = [&](Side& side) {
      if (!side.root.empty()) bench::set_aside(side.root, trash / (std::string(side.label) + std::to_string(r)));
      const double before = test::cpu_seconds(side.pid);
      side.rates.push_back(run(side, messages));
      const double after = test::cpu_seconds(side.pid);
      side.cpu_us.push_back((after - before) * 1e6 / messages);
      if (!side.root.empty()) side.delivered = bench::count_messages(side.root);
    };
    if (r % 2 == 0) {
      one(ours);
      one(ceiling);
    } else {
      one(ceiling);
      one(ours);
    }
    report.progress(name, r, ours.rates.back(), ceiling.rates.back());
  }
  for (Side* side : {&ours, &ceiling}) {
    if (!side->root.empty()) bench::set_aside(side->root, trash / (std::string(side->label) + "-strace"));
    bench::SyscallTrace trace(side->pid, trash.parent_path() / (std::string(side->label) + ".strace"));
    run(*side, traced_messages);
    side->calls = trace.finish();
    std::fprintf(stderr, "  %s under strace, per message: %s\n", side->label,
                 side->calls.top(traced_messages, 8).c_str());
  }
}

void print_row(const bench::Report& report, const std::string& name, const Side& ours, const Side& ceiling,
               unsigned traced_messages, const std::string& landed) {
  const double n = traced_messages;
  report.row(name, ours.rates, ceiling.rates,
             {fixed(median(ours.cpu_us), 0), ours.calls.ok ? fixed(ours.calls.futex / n) : "-",
              ours.calls.ok ? fixed(ours.calls.total / n) : "-"},
             "ceiling: CPU " + fixed(median(ceiling.cpu_us), 0) + " us, " + syscall_summary(ceiling.calls, n) + landed);
}

}  // namespace

int main(int argc, char** argv) {
  // The ceilings, run as children of the benchmark.
  if (argc >= 4 && std::string(argv[1]) == "--sink") {
    bench::run_lmtp_sink(std::stoi(argv[2]), argv[3], argc >= 5 && std::string(argv[4]) == "mbox");
  }
  if (argc >= 3 && std::string(argv[1]) == "--responder") bench::run_policy_responder(std::stoi(argv[2]));

  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: bench_ceiling LETTERBOX_LMTPD LETTERBOX_POLICYD [--runs N] [--messages N] "
                 "[--scenarios abcde]\n");
    return 64;
  }
  const std::string lmtpd = argv[1];
  const std::string policyd = argv[2];
  unsigned runs = 5;
  unsigned messages = 2000;
  std::string wanted = "abcde";
  bench::Options(argc, argv, 3).option("--runs", runs).option("--messages", messages).option("--scenarios", wanted);
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  test::become_unprivileged();
  if (!test::started_as_root()) {
    std::fprintf(stderr, "bench_ceiling: run as root (the servers run as nobody, strace as root)\n");
    return 1;
  }
  test::Slapd slapd;
  test::TempDir tmp;
  // smtp-source -r 10 -t u@example.org names 10u@, …, 2u@ and u@ itself.
  bench::add_numbered_users(slapd, 0, 10);
  const auto ours_root = tmp / "letterbox-mail";
  const auto sink_root = tmp / "sink-mail";
  const auto sink_mbox_root = tmp / "sink-mbox";
  const auto trash = tmp / "trash";
  const int lmtpd_port = test::free_port();
  const int sink_port = test::free_port();
  const int sink_mbox_port = test::free_port();
  const int policyd_port = test::free_port();
  const int responder_port = test::free_port();
  fs::create_directories(ours_root);
  fs::create_directories(tmp / "policy-mail");
  test::write_file(tmp / "lmtpd.conf", bench::letterbox_config(slapd, lmtpd_port, ours_root, tmp / "lmtpd.log"));
  test::write_file(tmp / "policyd.conf", bench::policyd_config(slapd, policyd_port, tmp / "policy-mail",
                                                               tmp / "policyd.log", "greylist = no\n"));
  test::Background lmtpd_process({lmtpd, "-c", (tmp / "lmtpd.conf").string(), "--foreground"});
  test::Background policyd_process({policyd, "-c", (tmp / "policyd.conf").string(), "--foreground"});
  test::Background sink({self, "--sink", std::to_string(sink_port), sink_root.string()});
  test::Background sink_mbox({self, "--sink", std::to_string(sink_mbox_port), sink_mbox_root.string(), "mbox"});
  test::Background responder({self, "--responder", std::to_string(responder_port)});
  for (int port : {lmtpd_port, sink_port, sink_mbox_port, policyd_port, responder_port}) test::wait_for_port(port);

  const unsigned traced = std::max(messages / 4, 200U);
  const bench::Report report(
      "letterbox-lmtpd and letterbox-policyd against this machine's ceilings (a minimal server doing only "
      "the durable work)",
      "smtp-source -L -l 4096, 20 sessions, fsync on; median of " + std::to_string(runs) +
          " runs; CPU = the server's utime+stime per message ((c): of 10 recipients; (e): per request); "
          "futex/syscalls per message from one extra, shorter run under strace -c -f",
      "msg/s", "letterbox", "ceiling", {"CPU us/msg", "futex/msg", "syscalls/msg"}, bench::Report::Ratio::Percent);
  std::vector<std::string> closing;

  struct Scenario {
    char letter;
    const char* name;
    bench::Stream load;
    int sink_port;
    fs::path sink_root;
    unsigned traced;  // messages of the strace run
  };
  const std::vector<Scenario> scenarios{
      {'a',
       "(a) 1 msg/session, one Maildir",
       {20, messages, "alice@example.org", false, ""},
       sink_port,
       sink_root,
       traced},
      {'b',
       "(b) 50 msg/session, one Maildir",
       {20, 1000, "alice@example.org", false, "", 1, true},
       sink_port,
       sink_root,
       1000},
      {'c',
       "(c) 10 rcpt/msg, 10 Maildirs",
       {20, messages / 4, "u@example.org", false, "", 10},
       sink_port,
       sink_root,
       std::max(traced / 4, 100U)},
      {'d', "(d) one mbox", {20, messages, "erin@example.org", false, ""}, sink_mbox_port, sink_mbox_root, traced}};
  for (const auto& s : scenarios) {
    if (wanted.find(s.letter) == std::string::npos) continue;
    Side ours{"letterbox-lmtpd", lmtpd_process.pid(), lmtpd_port, ours_root, {}, {}, 0, {}};
    Side ceiling{"sink", s.sink_port == sink_port ? sink.pid() : sink_mbox.pid(), s.sink_port, s.sink_root, {}, {}, 0,
                 {}};
    auto load = s.load;
    // Each scenario sets its mail aside in a place of its own: nothing is deleted before the end.
    measure(ours, ceiling, runs, s.load.messages, s.traced, trash / std::string(1, s.letter), report, s.name,
            [&](Side& side, unsigned n) {
              load.messages = n;
              return bench::drive(side.port, {load}, side.root);
            });
    const unsigned deliveries = s.load.messages * s.load.recipients;
    print_row(report, s.name, ours, ceiling, s.traced,
              "; landed " + std::to_string(ours.delivered) + "/" + std::to_string(ceiling.delivered) + " of " +
                  std::to_string(deliveries));
    closing.push_back(std::string(s.name, 3) + " letterbox-lmtpd per message: " + ours.calls.top(s.traced));
    closing.push_back(std::string(s.name, 3) + " sink per message: " + ceiling.calls.top(s.traced));
  }
  if (wanted.find('e') != std::string::npos) {
    const unsigned requests = messages * 10;
    drive_policy(policyd_port, 1000);  // the directory cache warm, both servers' threads started
    drive_policy(responder_port, 1000);
    Side ours{"letterbox-policyd", policyd_process.pid(), policyd_port, {}, {}, {}, 0, {}};
    Side ceiling{"responder", responder.pid(), responder_port, {}, {}, {}, 0, {}};
    PolicyRun all_ours;  // the replies of every run, the strace run's too
    PolicyRun all_ceiling;
    measure(ours, ceiling, runs, requests, requests / 4, trash, report, "(e) policy", [&](Side& side, unsigned n) {
      const auto r = drive_policy(side.port, n);
      auto& all = side.pid == ours.pid ? all_ours : all_ceiling;
      all.dunno += r.dunno;
      all.other += r.other;
      return r.per_second;
    });
    print_row(report, "(e) policy requests, 20 conns", ours, ceiling, requests / 4,
              "; replies DUNNO/other, all runs: " + std::to_string(all_ours.dunno) + "/" +
                  std::to_string(all_ours.other) + " vs " + std::to_string(all_ceiling.dunno) + "/" +
                  std::to_string(all_ceiling.other));
    closing.push_back("(e) letterbox-policyd per request: " + ours.calls.top(requests / 4));
    closing.push_back("(e) responder per request: " + ceiling.calls.top(requests / 4));
  }
  for (const auto& line : closing) report.closing(line);
  // Only now: ext4 without a journal makes every inode allocation skip the inodes deleted in the last
  // minutes, so a scenario run after another's mail was deleted would pay for that scan.
  test::run_as_root({"rm", "-rf", trash.string()});
  return 0;
}
