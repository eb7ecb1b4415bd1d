// SharedCache: the directory cache in one memory-mapped file that every Letterbox process on the host
// shares (letterbox-lda(8), "The shared directory cache"), so that letterbox-lda, a new process per message, sees
// what letterbox-lmtpd and earlier deliveries learnt.
//
// Layout: a header, then `capacity` fixed-size slots grouped in sets of kWays; an address hashes to one
// set, and a new entry takes a free or torn slot of its set, else the set's oldest. Each slot carries a
// sequence number (odd while being written) and a checksum: readers take no lock and copy a slot, and a
// slot that changed under them, was left half-written by a killed writer, or fails its checksum reads as
// a miss. Writers serialize on a kernel flock of the file (released by the kernel when a process dies)
// and give up after a few milliseconds rather than wait: a cache never holds up a delivery.
// The header page also holds letterbox-lda's delivery counters (count_delivery).
//
// Trust: the file holds mailbox paths, so one that anybody else could have written would let them
// redirect mail. open() refuses a symlink, anything but a single-linked regular file, a file owned by
// another user or accessible by group or others, and a wrong format, version or size, with the reason.
//
// Never a crash (mapped_file.hpp): every block of the file is reserved when it is created or opened (a
// file that cannot have them is refused), and every operation first checks that the file still covers
// the mapping. A file truncated, deleted or replaced under a running process makes its SharedCache
// broken(): every operation is then a miss or a no-op, and the owner (make_cache_store) caches in the
// process and opens the file again later. An empty file (`: > cache`) is initialised again by open().
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "letterbox/directory/directory.hpp"
#include "letterbox/observe/metrics.hpp"
#include "letterbox/util/mapped_file.hpp"

namespace letterbox {

namespace shared_cache_layout {
struct Header;
struct Slot;
}  // namespace shared_cache_layout

// Time in the cache is CLOCK_MONOTONIC (steady_clock on Linux), the same in every process on the host
// and immune to wall-clock steps; the header's boot id discards a file that outlived a reboot.
using CacheClock = std::chrono::steady_clock;

struct CachedLookup {
  Lookup lookup;  // Found or Unknown, never stale
  CacheClock::time_point stored;
};

using LdaDeliveries = std::array<std::uint64_t, kCountedReplies.size()>;

// Where CachedDirectory keeps its entries: in the process (MemoryCacheStore) or in the shared file.
class CacheStore {
 public:
  virtual ~CacheStore() = default;
  virtual std::optional<CachedLookup> find(const std::string& key) = 0;
  virtual void store(const std::string& key, const Lookup& lookup, CacheClock::time_point stored) = 0;

  // The shared file this store is using now (opened on demand), empty when it caches in the process.
  virtual std::string shared_file() { return {}; }
  // letterbox-lda's delivery counters in the shared file (SharedCache::count_delivery); without one,
  // nothing is counted and deliveries() is empty.
  virtual void count_lda_delivery(const Outcome& /*outcome*/) {}
  virtual std::optional<LdaDeliveries> lda_deliveries() { return std::nullopt; }
};

class SharedCache : public CacheStore {
 public:
  static constexpr std::size_t kSlotSize = 1024;
  static constexpr std::size_t kWays = 8;

  // Opens `file`, creating it (mode 0600, owned by the caller) if it does not exist. nullptr with `why`
  // set when the file must not be used. `entries` sizes a new file; an existing one keeps its own size.
  static std::unique_ptr<SharedCache> open(const std::filesystem::path& file, std::size_t entries, std::string& why);

  ~SharedCache() override;
  SharedCache(const SharedCache&) = delete;
  SharedCache& operator=(const SharedCache&) = delete;

  std::optional<CachedLookup> find(const std::string& key) override;
  // Skipped (silently) when the entry does not fit a slot or the writers' lock is busy.
  void store(const std::string& key, const Lookup& lookup, CacheClock::time_point stored) override;
  // For administrators: these wait up to a few seconds for the writers' lock. forget() is true when an
  // entry was there; forget_all() counts the entries dropped. std::runtime_error if the lock stays busy.
  bool forget(const std::string& key);
  std::size_t forget_all();

  std::string shared_file() override { return path_.string(); }
  void count_lda_delivery(const Outcome& outcome) override { count_delivery(outcome); }
  std::optional<LdaDeliveries> lda_deliveries() override { return deliveries(); }

  // letterbox-lda's deliveries on this host, by reply (kCountedReplies, metrics.hpp), in the header page
  // of the file: a daemon that shares the file serves them in its metrics. Lock-free atomic additions.
  void count_delivery(const Outcome& outcome);
  [[nodiscard]] LdaDeliveries deliveries() const;

  // The file shrank, was deleted or replaced under this process (logged once): stop using this object.
  [[nodiscard]] bool broken() const { return broken_.load(std::memory_order_relaxed); }

  [[nodiscard]] std::size_t capacity() const { return capacity_; }
  [[nodiscard]] std::size_t size() const;  // valid entries (a full scan: for tests and administration)
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  using Header = shared_cache_layout::Header;
  using Slot = shared_cache_layout::Slot;
  class WriteLock;

  SharedCache(std::filesystem::path path, std::unique_ptr<MappedFile> file);
  // The file still covers the mapping; else marks this cache broken (and says so, once).
  [[nodiscard]] bool usable() const;
  void lose_file(const char* how) const;
  // Runs a mapping access under the SIGBUS guard; false (and broken) when the file went away under it.
  template <typename Access>
  bool access(Access&& fn) const {
    if (file_->guarded(std::forward<Access>(fn))) return true;
    lose_file("was truncated while in use");
    return false;
  }
  [[nodiscard]] std::optional<Slot> read(const Slot& shared) const;
  bool write(Slot& shared, const Slot& content);
  [[nodiscard]] Header& header() const;
  [[nodiscard]] Slot* slots() const;
  [[nodiscard]] Slot* set_of(std::uint64_t hash) const;
  std::size_t clear_slots();  // under the writers' lock
  void forget_other_boot();   // empties a file written before the last reboot

  std::filesystem::path path_;
  std::unique_ptr<MappedFile> file_;
  std::size_t capacity_ = 0;
  mutable std::atomic<bool> broken_{false};
  std::mutex writers_;  // the flock is per open file, shared by this process's threads
};

// The same interface over a bounded in-process map: the cache when no cache_file is set.
class MemoryCacheStore : public CacheStore {
 public:
  MemoryCacheStore(std::size_t max_entries, std::chrono::milliseconds max_useful_age)
      : max_entries_(max_entries), max_useful_age_(max_useful_age) {}
  std::optional<CachedLookup> find(const std::string& key) override;
  void store(const std::string& key, const Lookup& lookup, CacheClock::time_point stored) override;
  [[nodiscard]] std::size_t size() const;

 private:
  std::size_t max_entries_;
  std::chrono::milliseconds max_useful_age_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, CachedLookup> entries_;
};

}  // namespace letterbox
