// CachedDirectory: a cache in front of another Directory. Found entries are served for `cache_ttl`,
// unknown users for `negative_cache_ttl`. While the directory is Unavailable, a found entry up to
// `stale_ttl` old is still served (marked stale and logged), so known users keep receiving mail through a
// short outage; an unknown user is never served stale (that would bounce on old information). Ambiguous
// and Unavailable answers are never cached. The entries live in a CacheStore: this process's memory, or
// the file every Letterbox process on the host shares ([ldap] cache_file, shared_cache.hpp). Every answer
// is counted in the metrics by result and source, and every trip to the directory by its latency.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "letterbox/config/config.hpp"
#include "letterbox/directory/directory.hpp"
#include "letterbox/directory/shared_cache.hpp"

namespace letterbox {

// The store [ldap] says: the shared file when cache_file is set, else a private in-memory map. The shared
// file is opened on first use, so that a daemon started as root opens (and creates) it only once it runs
// as the delivery user; a file that must not be used is logged once and replaced by a private map.
std::unique_ptr<CacheStore> make_cache_store(const LdapSettings& settings);

class CachedDirectory : public Directory {
 public:
  using Clock = CacheClock;

  // With a private in-memory store of at most `max_entries`.
  CachedDirectory(Directory& inner, const LdapSettings& settings, std::size_t max_entries = 100000,
                  std::function<Clock::time_point()> now = &Clock::now);
  CachedDirectory(Directory& inner, const LdapSettings& settings, std::unique_ptr<CacheStore> store,
                  std::function<Clock::time_point()> now = &Clock::now);

  Lookup lookup(const Address& address) override;
  std::optional<Lookup> lookup_at_hand(const Address& address) override;

  [[nodiscard]] CacheStore& store() { return *store_; }

 private:
  Lookup look_up(const Address& address);  // lookup() before it is counted
  [[nodiscard]] std::optional<Lookup> fresh_hit(const std::optional<CachedLookup>& cached, Clock::time_point now) const;

  Directory& inner_;
  Duration cache_ttl_;
  Duration negative_ttl_;
  Duration stale_ttl_;
  std::unique_ptr<CacheStore> store_;
  std::function<Clock::time_point()> now_;
};

}  // namespace letterbox
