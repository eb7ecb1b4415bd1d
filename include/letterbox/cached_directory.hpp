// CachedDirectory: a bounded cache in front of another Directory. Found entries are served for
// `cache_ttl`, unknown users for `negative_cache_ttl`. While the directory is Unavailable, a found entry
// up to `stale_ttl` old is still served (marked stale and logged), so known users keep receiving mail
// through a short outage; an unknown user is never served stale (that would bounce on old information).
// Ambiguous and Unavailable answers are never cached.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "letterbox/config.hpp"
#include "letterbox/directory.hpp"

namespace letterbox {

class CachedDirectory : public Directory {
 public:
  using Clock = std::chrono::steady_clock;

  CachedDirectory(Directory& inner, const LdapSettings& settings, std::size_t max_entries = 100000,
                  std::function<Clock::time_point()> now = &Clock::now);

  Lookup lookup(const Address& address) override;

  [[nodiscard]] std::size_t size() const;

 private:
  struct Entry {
    Lookup lookup;
    Clock::time_point stored;
  };
  void store(const std::string& key, const Lookup& lookup, Clock::time_point now);

  Directory& inner_;
  Duration cache_ttl_;
  Duration negative_ttl_;
  Duration stale_ttl_;
  std::size_t max_entries_;
  std::function<Clock::time_point()> now_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace letterbox
