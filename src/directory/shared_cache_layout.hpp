// The shared cache file's layout and the writers' lock, private to src/directory/: shared_cache_file.cpp
// makes, checks and opens the file; shared_cache.cpp reads and writes its slots (shared_cache.hpp has
// the design).
#pragma once

#include <sys/file.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>

#include "letterbox/directory/shared_cache.hpp"
#include "letterbox/observe/metrics.hpp"
#include "letterbox/util/hash.hpp"

namespace letterbox {
namespace shared_cache_layout {

inline constexpr std::array<char, 8> kMagic{'L', 'B', 'X', 'C', 'A', 'C', 'H', 'E'};
inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 4096;

enum SlotState : std::uint32_t { kEmpty = 0, kFound = 1, kUnknown = 2 };

struct Header {
  std::array<char, 8> magic;
  std::uint32_t version;
  std::uint32_t header_size;
  std::uint64_t slot_size;
  std::uint64_t ways;
  std::uint64_t capacity;
  std::array<char, 37> boot_id;
};
static_assert(sizeof(Header) <= kHeaderSize);

// letterbox-lda's delivery counters, in the header page after the header. A file made before they
// existed has zeros there (ftruncate), so the format version did not change.
constexpr std::size_t kCountersOffset = 2048;
constexpr std::size_t kCounters = 64;
static_assert(kCountedReplies.size() <= kCounters && kCountersOffset + kCounters * 8 <= kHeaderSize);

constexpr std::size_t kSlotDataSize = SharedCache::kSlotSize - 40;

struct Slot {
  std::uint32_t sequence;  // accessed through std::atomic_ref: odd while a writer is in the slot
  std::uint32_t state;
  std::uint64_t key_hash;
  std::int64_t stored_ns;
  std::uint64_t checksum;
  std::uint16_t key_size;
  std::uint16_t payload_size;
  std::uint32_t reserved;
  std::array<char, kSlotDataSize> data;  // the key, then the payload

  std::uint64_t content_checksum() const {
    std::uint64_t h = fnv1a(&state, sizeof state);
    h = fnv1a(&key_hash, sizeof key_hash, h);
    h = fnv1a(&stored_ns, sizeof stored_ns, h);
    h = fnv1a(&key_size, sizeof key_size, h);
    h = fnv1a(&payload_size, sizeof payload_size, h);
    return fnv1a(data.data(), std::min<std::size_t>(data.size(), std::size_t{key_size} + payload_size), h);
  }
};
static_assert(sizeof(Slot) == SharedCache::kSlotSize);

// How long a writer waits for the writers' lock: a delivery's update gives up soon, an administrator's
// command waits longer.
inline constexpr auto kStorePatience = std::chrono::milliseconds(20);
inline constexpr auto kAdministratorPatience = std::chrono::seconds(5);

}  // namespace shared_cache_layout

// The writers' lock: this process's threads on the mutex, processes on a flock of the file (which the
// kernel releases when a process dies). Tried for a bounded time, polling: a delivery's update gives up
// after a few milliseconds and is skipped; an administrator's command waits longer.
class SharedCache::WriteLock {
 public:
  WriteLock(SharedCache& cache, std::chrono::milliseconds patience) : cache_(cache) {
    const auto give_up = std::chrono::steady_clock::now() + patience;
    while (!cache_.writers_.try_lock()) {
      if (std::chrono::steady_clock::now() >= give_up) return;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    for (;;) {
      if (::flock(cache_.file_->fd(), LOCK_EX | LOCK_NB) == 0) {
        held_ = true;
        return;
      }
      if ((errno != EWOULDBLOCK && errno != EINTR) || std::chrono::steady_clock::now() >= give_up) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    cache_.writers_.unlock();
  }
  ~WriteLock() {
    if (!held_) return;
    ::flock(cache_.file_->fd(), LOCK_UN);
    cache_.writers_.unlock();
  }
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;
  [[nodiscard]] bool held() const { return held_; }

 private:
  SharedCache& cache_;
  bool held_ = false;
};

}  // namespace letterbox
