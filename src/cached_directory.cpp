#include "letterbox/cached_directory.hpp"

#include <spdlog/spdlog.h>

#include <optional>

namespace letterbox {

CachedDirectory::CachedDirectory(Directory& inner, const LdapSettings& settings, std::size_t max_entries,
                                 std::function<Clock::time_point()> now)
    : inner_(inner),
      cache_ttl_(settings.cache_ttl),
      negative_ttl_(settings.negative_cache_ttl),
      stale_ttl_(std::max(settings.stale_ttl, settings.cache_ttl)),
      max_entries_(max_entries),
      now_(std::move(now)) {}

Lookup CachedDirectory::lookup(const Address& address) {
  const std::string key = address.lookup_key();
  const auto now = now_();
  std::optional<Entry> cached;
  {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) cached = it->second;
  }
  if (cached) {
    const auto age = now - cached->stored;
    const bool found = cached->lookup.kind == LookupKind::Found;
    if (age < (found ? cache_ttl_ : negative_ttl_)) return cached->lookup;
  }

  Lookup fresh = inner_.lookup(address);
  if (fresh.kind == LookupKind::Found || fresh.kind == LookupKind::Unknown) {
    store(key, fresh, now);
    return fresh;
  }
  if (fresh.kind == LookupKind::Unavailable && cached && cached->lookup.kind == LookupKind::Found &&
      now - cached->stored < stale_ttl_) {
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - cached->stored).count();
    spdlog::warn("directory unavailable; serving a stale entry for <{}> ({}s old): {}", key, age, fresh.detail);
    Lookup stale = cached->lookup;
    stale.stale = true;
    stale.detail = "stale cache entry, " + std::to_string(age) + "s old; " + fresh.detail;
    return stale;
  }
  return fresh;
}

void CachedDirectory::store(const std::string& key, const Lookup& lookup, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_ && entries_.find(key) == entries_.end()) {
    // Full: first drop what is useless anyway (too old to serve even stale), then, if that was not enough,
    // an arbitrary tenth. A cache miss costs one lookup; unbounded memory costs the server.
    std::erase_if(entries_, [&](const auto& item) {
      const auto& e = item.second;
      return now - e.stored >= (e.lookup.kind == LookupKind::Found ? stale_ttl_ : negative_ttl_);
    });
    if (entries_.size() >= max_entries_) {
      auto it = entries_.begin();
      for (std::size_t n = max_entries_ / 10 + 1; n > 0 && it != entries_.end(); --n) it = entries_.erase(it);
    }
  }
  entries_.insert_or_assign(key, Entry{lookup, now});
}

std::size_t CachedDirectory::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace letterbox
