// Shared by the benchmarks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <type_traits>
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

}  // namespace letterbox::bench
