// Shared by the benchmarks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace letterbox::bench {

inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// The benchmarks' command line: "--name value" pairs from argv[first] on. option() reads the value of
// `flag` (its last one) into `value`: a number for unsigned and std::size_t, the text as it is for the
// rest (std::string, std::filesystem::path). Names no option() asks for are skipped.
class Options {
 public:
  Options(int argc, char** argv, int first) : argc_(argc), argv_(argv), first_(first) {}

  template <class T>
  Options& option(const std::string& flag, T& value) {
    for (int i = first_; i + 1 < argc_; i += 2) {
      if (flag != argv_[i]) continue;
      if constexpr (std::is_same_v<T, unsigned>) {
        value = static_cast<unsigned>(std::stoul(argv_[i + 1]));
      } else if constexpr (std::is_same_v<T, std::size_t>) {
        value = std::stoul(argv_[i + 1]);
      } else {
        value = argv_[i + 1];
      }
    }
    return *this;
  }

 private:
  int argc_;
  char** argv_;
  int first_;
};

// One report format for every benchmark. On stdout: the title and the setup as `#` lines, then a table of
// one row per scenario — the median of Letterbox's runs, the median of the peer's and the ratio when there
// is a peer (dashes in a row without the peer's runs), and a note — then any closing `#` lines. On
// stderr, one progress line per run. Rates are printed whole, other values (latencies) with two decimals.
class Report {
 public:
  // `ours` and `peer` head the value columns; without a peer the table has neither its column nor a ratio.
  Report(const std::string& title, const std::string& setup, std::string unit, std::string ours, std::string peer = "")
      : Report(title, setup, std::move(unit), std::move(ours), std::move(peer), {}, Ratio::Factor) {}

  // The ratio as a factor (1.25x) or as a percentage of the peer (80.0%).
  enum class Ratio { Factor, Percent };
  // With `extra` columns after the ratio, headed by these names, whose values row() is given as text
  // (bench_ceiling's CPU time and system calls per message).
  Report(const std::string& title, const std::string& setup, std::string unit, std::string ours, std::string peer,
         std::vector<std::string> extra, Ratio ratio)
      : unit_(std::move(unit)), peer_(!peer.empty()), extra_(std::move(extra)), ratio_(ratio) {
    std::printf("# %s\n# %s\n%-34s %20s", title.c_str(), setup.c_str(), "scenario", ours.c_str());
    if (peer_) std::printf(" %20s %8s", peer.c_str(), "ratio");
    for (const auto& name : extra_) std::printf(" %*s", width(name), name.c_str());
    std::printf("   note\n");
    std::fflush(stdout);
  }

  void progress(const std::string& scenario, unsigned run, double ours, double theirs = NAN) const {
    std::fprintf(stderr, "%s, run %u: %s", scenario.c_str(), run + 1, value(ours).c_str());
    if (!std::isnan(theirs)) std::fprintf(stderr, " vs %s", value(theirs).c_str());
    std::fprintf(stderr, "\n");
  }

  void row(const std::string& scenario, const std::vector<double>& ours, const std::vector<double>& theirs = {},
           const std::string& note = "") const {
    row(scenario, ours, theirs, {}, note);
  }

  // A row with the values of the extra columns (missing ones print as dashes).
  void row(const std::string& scenario, const std::vector<double>& ours, const std::vector<double>& theirs,
           const std::vector<std::string>& extra, const std::string& note) const {
    std::printf("%-34s %20s", scenario.c_str(), value(median(ours)).c_str());
    if (peer_ && theirs.empty()) {
      std::printf(" %20s %8s", "-", "-");  // a scenario only ours runs
    } else if (peer_) {
      const double a = median(ours);
      const double b = median(theirs);
      const double ratio = b > 0 ? a / b : 0.0;
      if (ratio_ == Ratio::Percent) {
        std::printf(" %20s %7.1f%%", value(b).c_str(), 100 * ratio);
      } else {
        std::printf(" %20s %7.2fx", value(b).c_str(), ratio);
      }
    }
    for (std::size_t i = 0; i < extra_.size(); ++i) {
      std::printf(" %*s", width(extra_[i]), i < extra.size() ? extra[i].c_str() : "-");
    }
    std::printf("   %s\n", note.c_str());
    std::fflush(stdout);
  }

  void closing(const std::string& text) const {
    std::printf("# %s\n", text.c_str());
    std::fflush(stdout);
  }

 private:
  std::string value(double v) const {
    char text[64];
    std::snprintf(text, sizeof text, v >= 100 ? "%.0f %s" : "%.2f %s", v, unit_.c_str());
    return text;
  }

  static int width(const std::string& name) { return std::max(12, static_cast<int>(name.size())); }

  std::string unit_;
  bool peer_;
  std::vector<std::string> extra_;
  Ratio ratio_ = Ratio::Factor;
};

}  // namespace letterbox::bench
