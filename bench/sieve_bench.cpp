// bench_sieve: what a typical user's Sieve script costs an LMTP delivery, in letterbox-lmtpd and in
// Dovecot's LMTP with Pigeonhole, on the same machine in the same run. The load is bench_lmtp's (a):
// smtp-source, 4 KiB messages into alice's one Maildir, fsync on for both, here with 10 sessions, one of
// which sends the mailing-list messages (Subject "[letterbox-dev] …", a tenth of them) that the script
// (bench/typical.sieve, 20 rules as Roundcube writes them) files, flagged \Seen, into letterbox-dev; the
// other nine send messages no rule matches, which pass all 20 rules and stay in INBOX. Five
// configurations, taking turns run by run: letterbox-lmtpd with [sieve] off, with [sieve] on and no
// script, with the script active; Dovecot with the sieve plugin, without and with the same script.
// After every run the mail is counted where the script puts it; the program exits 1 if a run's mail was
// not all where it belongs. Prints messages/s (median of --runs), letterbox-lmtpd's CPU per message and
// the ratios; run as root (Dovecot is started as root).
//   bench_sieve LETTERBOX_LMTPD [--runs 5] [--messages 2000] [--script bench/typical.sieve] [--only TEXT]
// --only runs just the configurations whose name contains TEXT ("letterbox script"), to profile one.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
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

constexpr const char* kFolder = "letterbox-dev";  // where the script files the list's messages

enum class Engine { letterbox, dovecot };

struct Config {
  const char* name;
  Engine engine;
  int port;
  fs::path root;  // the server's mail_root (Letterbox) or its users' homes (Dovecot)
  bool script;
  pid_t pid;  // letterbox-lmtpd's process, for its CPU time; -1 for Dovecot's
};

fs::path home(const Config& c) {
  return c.engine == Engine::letterbox ? c.root / "example.org" / "alice" : c.root / "alice";
}

// The script as each engine's own tool would leave it: letterbox-sieve's NAME.sieve and `active`
// (user_dir = %d/%u/sieve), Pigeonhole's ~/sieve/NAME.sieve and the ~/.dovecot.sieve link to it.
void install(const Config& c, const std::string& script) {
  const auto dir = home(c) / "sieve";
  fs::create_directories(dir);
  test::write_file(dir / "typical.sieve", script);
  if (c.engine == Engine::letterbox) {
    test::write_file(dir / "active", "typical\n");
  } else {
    fs::create_symlink("sieve/typical.sieve", home(c) / ".dovecot.sieve");
  }
}

// Messages in one Maildir folder (new/ and cur/), and how many of them carry \Seen (an S among the
// flags after ":2,").
struct Count {
  std::size_t messages = 0;
  std::size_t seen = 0;
};
Count count_folder(const fs::path& maildir) {
  Count n;
  for (const char* sub : {"new", "cur"}) {
    if (!fs::exists(maildir / sub)) continue;
    for (const auto& e : fs::directory_iterator(maildir / sub)) {
      ++n.messages;
      const auto name = e.path().filename().string();
      const auto info = name.rfind(":2,");
      if (info != std::string::npos && name.find('S', info) != std::string::npos) ++n.seen;
    }
  }
  return n;
}

// Whether the run left every message where the script (or its absence) says: `matched` in the folder,
// all flagged \Seen, the rest in INBOX, nothing anywhere else. `summary` tells what was found.
bool verify(const Config& c, unsigned messages, unsigned matched, std::string& summary) {
  const auto maildir = home(c) / "Maildir";
  const auto inbox = count_folder(maildir);
  const auto folder = count_folder(maildir / (std::string(".") + kFolder));
  const auto total = bench::count_messages(home(c));
  summary = std::to_string(inbox.messages) + " INBOX + " + std::to_string(folder.messages) + " " + kFolder + " (" +
            std::to_string(folder.seen) + " \\Seen)";
  const unsigned filed = c.script ? matched : 0;
  return inbox.messages == messages - filed && folder.messages == filed && folder.seen == filed && total == messages;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: bench_sieve LETTERBOX_LMTPD [--runs N] [--messages N] [--script FILE] [--only TEXT]\n");
    return 64;
  }
  const std::string lmtpd = argv[1];
  unsigned runs = 5;
  unsigned messages = 2000;
  fs::path script_file = fs::path(LETTERBOX_SOURCE_DIR) / "bench" / "typical.sieve";
  std::string only;
  bench::Options(argc, argv, 2)
      .option("--runs", runs)
      .option("--messages", messages)
      .option("--script", script_file)
      .option("--only", only);
  test::become_unprivileged();
  if (!test::started_as_root()) {
    std::fprintf(stderr, "bench_sieve: run as root (Dovecot is started as root; deliveries run as nobody)\n");
    return 1;
  }
  const std::string script = test::read_file(script_file);
  // One session in ten sends the list's messages, so that every session has as many to send.
  const unsigned matched = std::max(messages / 10, 1U);
  const std::vector<bench::Stream> load{
      {9, messages - matched, "alice@example.org", false, "Notes from the weekly meeting"},
      {1, matched, "alice@example.org", false, "[letterbox-dev] nightly build results"}};

  test::Slapd slapd;
  test::TempDir tmp;
  const auto trash = tmp / "trash";
  const int off_port = test::free_port();
  const int on_port = test::free_port();
  const int dovecot_port = test::free_port();
  test::write_file(tmp / "off.conf", bench::letterbox_config(slapd, off_port, tmp / "off-mail", tmp / "off.log"));
  test::write_file(tmp / "on.conf", bench::letterbox_config(slapd, on_port, tmp / "on-mail", tmp / "on.log",
                                                            "[sieve]\nenabled = yes\n"));
  fs::create_directories(tmp / "off-mail");
  fs::create_directories(tmp / "on-mail");
  test::Background off({lmtpd, "-c", (tmp / "off.conf").string(), "--foreground"});
  test::Background on({lmtpd, "-c", (tmp / "on.conf").string(), "--foreground"});
  bench::Dovecot dovecot(slapd, tmp / "dovecot-mail", dovecot_port, "maildir:~/Maildir",
                         "protocol lmtp {\n  mail_plugins = $mail_plugins sieve\n}\n"
                         "plugin {\n  sieve = file:~/sieve;active=~/.dovecot.sieve\n}\n");
  test::wait_for_port(off_port);
  test::wait_for_port(on_port);
  test::wait_for_port(dovecot_port);

  std::vector<Config> configs{
      {"letterbox [sieve] off", Engine::letterbox, off_port, tmp / "off-mail", false, off.pid()},
      {"letterbox no script", Engine::letterbox, on_port, tmp / "on-mail", false, on.pid()},
      {"letterbox script", Engine::letterbox, on_port, tmp / "on-mail", true, on.pid()},
      {"dovecot no script", Engine::dovecot, dovecot_port, tmp / "dovecot-mail", false, -1},
      {"dovecot script", Engine::dovecot, dovecot_port, tmp / "dovecot-mail", true, -1}};
  const std::size_t n = configs.size();
  std::vector<std::vector<double>> rate(n);
  std::vector<std::vector<double>> cpu_us(n);  // letterbox-lmtpd's CPU per message
  std::vector<std::string> found(n);
  std::vector<unsigned> verified(n, 0);

  const bench::Report report(
      "Sieve in LMTP deliveries: letterbox-lmtpd and Dovecot's LMTP with Pigeonhole on the same machine",
      "smtp-source -L, 10 sessions, " + std::to_string(messages) + " x 4 KiB to one Maildir (" +
          std::to_string(matched) + " filed by the script); fsync on for both; median of " + std::to_string(runs) +
          " runs; " + script_file.filename().string(),
      "msg/s", "letterbox-lmtpd", "dovecot+pigeonhole");
  for (unsigned r = 0; r < runs; ++r) {
    // Each run starts with the next configuration: this disk's flushes are rate-limited, and whoever
    // runs after a busy neighbour inherits what it used up.
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (k + r) % n;
      const auto& c = configs[i];
      if (std::string(c.name).find(only) == std::string::npos) continue;
      bench::set_aside(c.root, trash / (std::to_string(r) + "-" + std::to_string(i)));
      if (c.script) install(c, script);
      const double cpu_before = c.pid > 0 ? test::cpu_seconds(c.pid) : 0;
      rate[i].push_back(bench::drive(c.port, load, c.root));
      if (c.pid > 0) {
        cpu_us[i].push_back((test::cpu_seconds(c.pid) - cpu_before) * 1e6 / messages);
        std::fprintf(stderr, "  letterbox-lmtpd: %.0f us CPU per message\n", cpu_us[i].back());
      }
      if (verify(c, messages, matched, found[i])) {
        ++verified[i];
      } else {
        std::fprintf(stderr, "  %s: mail not where the script puts it: %s\n", c.name, found[i].c_str());
      }
      report.progress(c.name, r, rate[i].back());
    }
  }

  const auto note = [&](std::size_t i) {
    if (rate[i].empty()) return std::string("not run");
    std::string text = (verified[i] == rate[i].size() ? "verified " : "NOT VERIFIED ") + std::to_string(verified[i]) +
                       "/" + std::to_string(rate[i].size()) + " runs, last: " + found[i];
    if (!cpu_us[i].empty()) text += "; " + std::to_string(static_cast<long>(median(cpu_us[i]))) + " us CPU/msg";
    return text;
  };
  report.row("[sieve] off", rate[0], {}, note(0));
  report.row("[sieve] on, no script", rate[1], rate[3], note(1) + " | " + note(3));
  report.row("typical 20-rule script", rate[2], rate[4], note(2) + " | " + note(4));
  // Ratios of the same run's figures, then their median: the machine changes from run to run, less
  // within one.
  const auto ratio = [&](std::size_t a, std::size_t b) {
    if (rate[a].size() != runs || rate[b].size() != runs) return std::string("not measured");
    std::vector<double> each;
    for (unsigned r = 0; r < runs; ++r) each.push_back(rate[b][r] > 0 ? rate[a][r] / rate[b][r] : 0);
    char text[160];
    std::snprintf(text, sizeof text, "%.2f (ratio of the medians %.2f; runs %.2f to %.2f)", median(each),
                  median(rate[b]) > 0 ? median(rate[a]) / median(rate[b]) : 0,
                  *std::min_element(each.begin(), each.end()), *std::max_element(each.begin(), each.end()));
    return std::string(text);
  };
  report.closing("letterbox script / letterbox [sieve] off: " + ratio(2, 0) + "; goal >= 0.85");
  report.closing("letterbox script / letterbox no script: " + ratio(2, 1) + "; goal >= 0.85");
  // What the machine's other work changes least: the server's own CPU time per message.
  const auto cpu_ratio = [&](std::size_t a, std::size_t b) {
    char text[64];
    std::snprintf(text, sizeof text, "%.2f", median(cpu_us[b]) > 0 ? median(cpu_us[a]) / median(cpu_us[b]) : 0);
    return std::string(text);
  };
  report.closing("letterbox-lmtpd CPU per message, script / [sieve] off: " + cpu_ratio(2, 0) +
                 "; script / no script: " + cpu_ratio(2, 1));
  report.closing("letterbox script / dovecot script: " + ratio(2, 4));
  report.closing("dovecot script / dovecot no script: " + ratio(4, 3));
  // After the report: tens of thousands of files take minutes to delete on this disk.
  test::run_as_root({"rm", "-rf", trash.string()});
  for (std::size_t i = 0; i < n; ++i) {
    if (verified[i] != rate[i].size()) return 1;
  }
  return 0;
}
