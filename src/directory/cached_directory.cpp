#include "letterbox/directory/cached_directory.hpp"

#include "letterbox/observe/metrics.hpp"
#include "letterbox/util/log.hpp"

#include <mutex>
#include <optional>

namespace letterbox {
namespace {

// Opens the shared file on first use (see make_cache_store). Until then, while the file must not be
// used, and after it broke under us (shrank, deleted, replaced), this process caches in its own memory
// and tries the file again every kRetry: nothing is lost but the sharing, and nothing waits for it.
class LazySharedCache : public CacheStore {
 public:
  LazySharedCache(std::string path, std::size_t entries, std::size_t fallback_entries,
                  std::chrono::milliseconds max_useful_age)
      : path_(std::move(path)), entries_(entries), fallback_(fallback_entries, max_useful_age) {}

  std::optional<CachedLookup> find(const std::string& key) override {
    if (auto shared = current()) {
      auto found = shared->find(key);
      if (!shared->broken()) return found;
    }
    return fallback_.find(key);
  }
  void store(const std::string& key, const Lookup& lookup, CacheClock::time_point stored) override {
    if (auto shared = current()) {
      shared->store(key, lookup, stored);
      if (!shared->broken()) return;
    }
    fallback_.store(key, lookup, stored);
  }
  std::string shared_file() override {
    auto shared = current();
    return shared ? shared->shared_file() : std::string();
  }
  void count_lda_delivery(const Outcome& outcome) override {
    if (auto shared = current()) shared->count_delivery(outcome);
  }
  std::optional<LdaDeliveries> lda_deliveries() override {
    auto shared = current();
    if (!shared) return std::nullopt;
    return shared->deliveries();
  }

 private:
  static constexpr auto kRetry = std::chrono::seconds(10);

  // The shared file to use now, or null: this process's memory serves meanwhile. Readers keep the one
  // they got alive for as long as they use it.
  std::shared_ptr<SharedCache> current() {
    std::lock_guard lock(mutex_);
    if (shared_ && !shared_->broken()) return shared_;
    const auto now = std::chrono::steady_clock::now();
    if (shared_) {
      shared_.reset();  // it said why, once
      next_try_ = now + kRetry;
      lost_ = true;
    }
    if (now < next_try_) return nullptr;
    next_try_ = now + kRetry;
    std::string why;
    shared_ = SharedCache::open(path_, entries_, why);
    if (!shared_ && why != refused_because_) {
      log::warn("not using the shared cache: {}; caching in this process only", why);
    } else if (shared_ && lost_) {
      log::info("using the shared cache {} again", path_);
    }
    refused_because_ = shared_ ? std::string() : why;
    lost_ = !shared_;
    return shared_;
  }

  std::string path_;
  std::size_t entries_;
  std::mutex mutex_;
  std::shared_ptr<SharedCache> shared_;
  std::chrono::steady_clock::time_point next_try_{};
  std::string refused_because_;  // the last refusal, said once
  bool lost_ = false;            // the file was refused or broke: say when it is back
  MemoryCacheStore fallback_;
};

std::chrono::milliseconds max_useful_age(const LdapSettings& settings) {
  return std::max({settings.stale_ttl, settings.cache_ttl, settings.negative_cache_ttl});
}

}  // namespace

std::unique_ptr<CacheStore> make_cache_store(const LdapSettings& settings) {
  if (settings.cache_file.empty()) {
    return std::make_unique<MemoryCacheStore>(settings.cache_entries, max_useful_age(settings));
  }
  return std::make_unique<LazySharedCache>(settings.cache_file, settings.cache_entries, settings.cache_entries,
                                           max_useful_age(settings));
}

CachedDirectory::CachedDirectory(Directory& inner, const LdapSettings& settings, std::size_t max_entries,
                                 std::function<Clock::time_point()> now)
    : CachedDirectory(inner, settings, std::make_unique<MemoryCacheStore>(max_entries, max_useful_age(settings)),
                      std::move(now)) {}

CachedDirectory::CachedDirectory(Directory& inner, const LdapSettings& settings, std::unique_ptr<CacheStore> store,
                                 std::function<Clock::time_point()> now)
    : inner_(inner),
      cache_ttl_(settings.cache_ttl),
      negative_ttl_(settings.negative_cache_ttl),
      stale_ttl_(std::max(settings.stale_ttl, settings.cache_ttl)),
      store_(std::move(store)),
      now_(std::move(now)) {}

std::optional<Lookup> CachedDirectory::fresh_hit(const std::optional<CachedLookup>& cached,
                                                 Clock::time_point now) const {
  // An entry stored "in the future" (a clock that is not the one it was stored by) is not trusted.
  if (!cached || cached->stored > now) return std::nullopt;
  const bool found = cached->lookup.kind == LookupKind::Found;
  if (now - cached->stored >= (found ? cache_ttl_ : negative_ttl_)) return std::nullopt;
  Lookup hit = cached->lookup;
  hit.source = LookupSource::Cache;
  return hit;
}

std::optional<Lookup> CachedDirectory::lookup_at_hand(const Address& address) {
  auto hit = fresh_hit(store_->find(address.lookup_key()), now_());
  if (hit) metrics().count_lookup(*hit);
  return hit;
}

Lookup CachedDirectory::lookup(const Address& address) {
  Lookup answer = look_up(address);
  metrics().count_lookup(answer);
  return answer;
}

Lookup CachedDirectory::look_up(const Address& address) {
  const std::string key = address.lookup_key();
  const auto now = now_();
  const std::optional<CachedLookup> cached = store_->find(key);
  if (auto hit = fresh_hit(cached, now)) return std::move(*hit);
  const bool usable = cached && cached->stored <= now;

  const auto asked = std::chrono::steady_clock::now();
  Lookup fresh = inner_.lookup(address);
  metrics().observe_directory_lookup(std::chrono::steady_clock::now() - asked);
  if (fresh.kind == LookupKind::Found || fresh.kind == LookupKind::Unknown) {
    store_->store(key, fresh, now);
    return fresh;
  }
  if (fresh.kind == LookupKind::Unavailable && usable && cached->lookup.kind == LookupKind::Found &&
      now - cached->stored < stale_ttl_) {
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - cached->stored).count();
    log::warn("directory unavailable; serving a stale entry for <{}> ({}s old): {}", key, age, fresh.detail);
    Lookup stale = cached->lookup;
    stale.stale = true;
    stale.source = LookupSource::Stale;
    stale.detail = "stale cache entry, " + std::to_string(age) + "s old; " + fresh.detail;
    return stale;
  }
  return fresh;
}

}  // namespace letterbox
