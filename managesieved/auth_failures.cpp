#include "auth_failures.hpp"

#include <algorithm>

namespace letterbox {

unsigned AuthFailures::failed(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(address);
  if (it != entries_.end() && now - it->second.last > forget_after_) it->second.failures = 0;
  if (it == entries_.end()) {
    if (entries_.size() >= max_addresses_) {
      // Full: the expired go first, then the one quiet the longest.
      std::erase_if(entries_, [&](const auto& e) { return now - e.second.last > forget_after_; });
      if (entries_.size() >= max_addresses_) {
        entries_.erase(std::min_element(entries_.begin(), entries_.end(),
                                        [](const auto& a, const auto& b) { return a.second.last < b.second.last; }));
      }
    }
    it = entries_.emplace(address, Entry{}).first;
  }
  it->second.last = now;
  return ++it->second.failures;
}

unsigned AuthFailures::count(const std::string& address, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(address);
  if (it == entries_.end() || now - it->second.last > forget_after_) return 0;
  return it->second.failures;
}

}  // namespace letterbox
