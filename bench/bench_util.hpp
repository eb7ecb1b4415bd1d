// Shared by the benchmarks.
#pragma once

#include <algorithm>
#include <vector>

namespace letterbox::bench {

inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace letterbox::bench
