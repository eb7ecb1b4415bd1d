#include "letterbox/shared_cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "letterbox/hash.hpp"
#include "letterbox/private_file.hpp"

namespace letterbox {
namespace bip = boost::interprocess;

namespace {

constexpr std::array<char, 8> kMagic{'L', 'B', 'X', 'C', 'A', 'C', 'H', 'E'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderSize = 4096;

enum SlotState : std::uint32_t { kEmpty = 0, kFound = 1, kUnknown = 2 };

std::array<char, 37> current_boot_id() {
  std::array<char, 37> id{};
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  in.read(id.data(), id.size() - 1);
  return id;
}

// The payload of a Found entry: dn, then name/value pairs, each NUL-terminated (LDAP values hold no NUL
// that we keep: they were read as C strings).
std::string serialize(const DirectoryEntry& entry) {
  std::string out = entry.dn;
  out += '\0';
  for (const auto& [name, value] : entry.attributes) {
    out += name;
    out += '\0';
    out += value;
    out += '\0';
  }
  return out;
}

bool deserialize(std::string_view payload, DirectoryEntry& entry) {
  const auto next = [&payload](std::string& out) {
    const auto nul = payload.find('\0');
    if (nul == std::string_view::npos) return false;
    out.assign(payload.substr(0, nul));
    payload.remove_prefix(nul + 1);
    return true;
  };
  if (!next(entry.dn)) return false;
  while (!payload.empty()) {
    std::string name;
    std::string value;
    if (!next(name) || !next(value)) return false;
    entry.attributes.emplace(std::move(name), std::move(value));
  }
  return true;
}

}  // namespace

namespace shared_cache_layout {

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
      if (::flock(cache_.fd_.get(), LOCK_EX | LOCK_NB) == 0) {
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
    ::flock(cache_.fd_.get(), LOCK_UN);
    cache_.writers_.unlock();
  }
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;
  [[nodiscard]] bool held() const { return held_; }

 private:
  SharedCache& cache_;
  bool held_ = false;
};

namespace {

using shared_cache_layout::Header;
using shared_cache_layout::kSlotDataSize;
using shared_cache_layout::Slot;
constexpr auto kStorePatience = std::chrono::milliseconds(20);
constexpr auto kAdministratorPatience = std::chrono::seconds(5);

// The seqlock, without fences (which ThreadSanitizer cannot follow): a slot is copied in and out as
// 32-bit words with atomic accesses, so a reader racing a writer — another thread, or another process —
// is well defined. The writer makes the sequence odd, stores every word with release, then makes the
// sequence even with release; the reader loads the sequence and every word with acquire, then the
// sequence again. A reader that saw any new word is bound to see the odd or a later sequence on its
// second load, and discards what it copied.
constexpr std::size_t kSlotWords = SharedCache::kSlotSize / sizeof(std::uint32_t);
using SlotWords = std::array<std::uint32_t, kSlotWords>;

std::atomic_ref<std::uint32_t> word(const Slot& shared, std::size_t i) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast,cppcoreguidelines-pro-type-const-cast)
  return std::atomic_ref<std::uint32_t>(reinterpret_cast<std::uint32_t*>(const_cast<Slot*>(&shared))[i]);
}

// Writes `content` (checksum computed here) into `shared`. Under the writers' lock.
void publish(Slot& shared, Slot content) {
  content.checksum = content.content_checksum();
  SlotWords words{};
  std::memcpy(words.data(), &content, sizeof content);
  const auto before = word(shared, 0).load(std::memory_order_relaxed);
  const std::uint32_t odd = before % 2 == 0 ? before + 1 : before + 2;  // odd: a writer died in it before
  word(shared, 0).store(odd, std::memory_order_relaxed);
  for (std::size_t i = 1; i < kSlotWords; ++i) word(shared, i).store(words[i], std::memory_order_release);
  word(shared, 0).store(odd + 1, std::memory_order_release);
}

// A consistent copy of the slot, or nullopt when it is empty, being written, torn, or changed meanwhile.
std::optional<Slot> read_slot(const Slot& shared) {
  SlotWords words{};
  words[0] = word(shared, 0).load(std::memory_order_acquire);
  if (words[0] % 2 != 0 || words[0] == 0) return std::nullopt;
  for (std::size_t i = 1; i < kSlotWords; ++i) words[i] = word(shared, i).load(std::memory_order_acquire);
  if (word(shared, 0).load(std::memory_order_relaxed) != words[0]) return std::nullopt;
  Slot copy;
  std::memcpy(static_cast<void*>(&copy), words.data(), sizeof copy);
  if (copy.state != kFound && copy.state != kUnknown) return std::nullopt;
  if (std::size_t{copy.key_size} + copy.payload_size > copy.data.size()) return std::nullopt;
  if (copy.checksum != copy.content_checksum()) return std::nullopt;
  return copy;
}

Slot empty_slot() {
  Slot slot{};
  slot.state = kEmpty;
  return slot;
}

bool slot_holds(const Slot& slot, std::uint64_t hash, std::string_view key) {
  return slot.key_hash == hash && std::string_view(slot.data.data(), slot.key_size) == key;
}

std::string describe_errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// Makes a new, fully initialised file and links it into place, so that no process ever opens a file
// whose header is still being written. 0, EEXIST when another process made it first, or an errno.
int create_file(const std::filesystem::path& path, std::size_t entries, std::string& why) {
  const std::size_t capacity = std::max<std::size_t>(
      SharedCache::kWays, (entries + SharedCache::kWays - 1) / SharedCache::kWays * SharedCache::kWays);
  const auto temp = path.parent_path() / (path.filename().string() + ".new." + std::to_string(::getpid()));
  UniqueFd fd(::open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    why = describe_errno("cannot create " + temp.string());
    return errno;
  }
  const auto size = static_cast<off_t>(kHeaderSize + capacity * SharedCache::kSlotSize);
  Header header{kMagic, kVersion, kHeaderSize, SharedCache::kSlotSize, SharedCache::kWays, capacity, current_boot_id()};
  int err = 0;
  if (::fchmod(fd.get(), 0600) != 0 || ::ftruncate(fd.get(), size) != 0 ||
      ::pwrite(fd.get(), &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) {
    err = errno != 0 ? errno : EIO;
    why = describe_errno("cannot initialise " + temp.string());
  } else if (::link(temp.c_str(), path.c_str()) != 0) {
    err = errno;
    if (err != EEXIST) why = describe_errno("cannot create " + path.string());
  }
  ::unlink(temp.c_str());
  return err;
}

}  // namespace

std::unique_ptr<SharedCache> SharedCache::open(const std::filesystem::path& file, std::size_t entries,
                                               std::string& why) {
  UniqueFd fd;
  for (int attempt = 0; attempt < 2 && !fd; ++attempt) {
    fd = UniqueFd(::open(file.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (fd) break;
    if (errno == ELOOP) {
      why = file.string() + " is a symlink";
      return nullptr;
    }
    if (errno != ENOENT) {
      why = describe_errno("cannot open " + file.string());
      return nullptr;
    }
    if (const int err = create_file(file, entries, why); err != 0 && err != EEXIST) return nullptr;
  }
  if (!fd) {
    why = describe_errno("cannot open " + file.string());
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    why = describe_errno("cannot stat " + file.string());
    return nullptr;
  }
  if (why = private_file_problem(file, st); !why.empty()) return nullptr;
  if (static_cast<std::size_t>(st.st_size) < kHeaderSize) {
    why = file.string() + " is too small to be a Letterbox cache";
    return nullptr;
  }
  try {
    bip::mapped_region region(DescriptorMapping{fd.get()}, bip::read_write, 0, static_cast<std::size_t>(st.st_size));
    const auto* header = static_cast<const Header*>(region.get_address());
    if (header->magic != kMagic) {
      why = file.string() + " is not a Letterbox cache file";
      return nullptr;
    }
    if (header->version != kVersion || header->header_size != kHeaderSize || header->slot_size != kSlotSize ||
        header->ways != kWays) {
      why = file.string() + " has another format version (" + std::to_string(header->version) + "); remove it";
      return nullptr;
    }
    if (header->capacity == 0 || header->capacity % kWays != 0 ||
        kHeaderSize + header->capacity * kSlotSize != static_cast<std::size_t>(st.st_size)) {
      why = file.string() + " has the wrong size for its header; remove it";
      return nullptr;
    }
    std::unique_ptr<SharedCache> cache(new SharedCache(file, std::move(fd), std::move(region)));
    if (cache->header().boot_id != current_boot_id()) {
      // Monotonic times from before a reboot mean nothing now.
      if (const WriteLock lock(*cache, kStorePatience); lock.held() && cache->header().boot_id != current_boot_id()) {
        cache->clear_slots();
        cache->header().boot_id = current_boot_id();
      }
    }
    return cache;
  } catch (const bip::interprocess_exception& e) {
    why = "cannot map " + file.string() + ": " + e.what();
    return nullptr;
  }
}

SharedCache::SharedCache(std::filesystem::path path, UniqueFd fd, bip::mapped_region region)
    : path_(std::move(path)), fd_(std::move(fd)), region_(std::move(region)) {
  capacity_ = header().capacity;
}

SharedCache::~SharedCache() = default;

shared_cache_layout::Header& SharedCache::header() const {
  return *static_cast<Header*>(region_.get_address());
}

shared_cache_layout::Slot* SharedCache::slots() const {
  return reinterpret_cast<Slot*>(static_cast<char*>(region_.get_address()) + kHeaderSize);
}

shared_cache_layout::Slot* SharedCache::set_of(std::uint64_t hash) const {
  return slots() + (hash % (capacity_ / kWays)) * kWays;
}

void SharedCache::count_delivery(const Outcome& outcome) {
  const auto index = counted_reply_index(outcome);
  if (!index) return;
  auto* counters = reinterpret_cast<std::uint64_t*>(static_cast<char*>(region_.get_address()) +
                                                    shared_cache_layout::kCountersOffset);
  std::atomic_ref<std::uint64_t>(counters[*index]).fetch_add(1, std::memory_order_relaxed);
}

std::array<std::uint64_t, kCountedReplies.size()> SharedCache::deliveries() const {
  auto* counters = reinterpret_cast<std::uint64_t*>(static_cast<char*>(region_.get_address()) +
                                                    shared_cache_layout::kCountersOffset);
  std::array<std::uint64_t, kCountedReplies.size()> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = std::atomic_ref<std::uint64_t>(counters[i]).load(std::memory_order_relaxed);
  }
  return out;
}

std::optional<CachedLookup> SharedCache::find(const std::string& key) {
  const auto hash = fnv1a(key.data(), key.size());
  Slot* set = set_of(hash);
  for (std::size_t i = 0; i < kWays; ++i) {
    const auto slot = read_slot(set[i]);
    if (!slot || !slot_holds(*slot, hash, key)) continue;
    CachedLookup out;
    out.stored = CacheClock::time_point(std::chrono::nanoseconds(slot->stored_ns));
    if (slot->state == kUnknown) {
      out.lookup.kind = LookupKind::Unknown;
      out.lookup.detail = "no entry (cached)";
    } else {
      out.lookup.kind = LookupKind::Found;
      if (!deserialize({slot->data.data() + slot->key_size, slot->payload_size}, out.lookup.entry)) continue;
    }
    return out;
  }
  return std::nullopt;
}

void SharedCache::store(const std::string& key, const Lookup& lookup, CacheClock::time_point stored) {
  if (lookup.kind != LookupKind::Found && lookup.kind != LookupKind::Unknown) return;
  const std::string payload = lookup.kind == LookupKind::Found ? serialize(lookup.entry) : std::string();
  if (key.size() + payload.size() > kSlotDataSize) return;  // rare; the directory answers it each time
  const auto hash = fnv1a(key.data(), key.size());
  const WriteLock lock(*this, kStorePatience);
  if (!lock.held()) return;
  Slot* set = set_of(hash);
  // The key's own slot if it has one (never two copies of a key), else a free or torn slot, else the
  // set's oldest entry.
  Slot* same = nullptr;
  Slot* free = nullptr;
  Slot* oldest = nullptr;
  std::int64_t oldest_ns = 0;
  for (std::size_t i = 0; i < kWays && same == nullptr; ++i) {
    const auto slot = read_slot(set[i]);
    if (slot && slot_holds(*slot, hash, key)) {
      same = &set[i];
    } else if (!slot) {
      if (free == nullptr) free = &set[i];
    } else if (oldest == nullptr || slot->stored_ns < oldest_ns) {
      oldest = &set[i];
      oldest_ns = slot->stored_ns;
    }
  }
  Slot* target = same != nullptr ? same : free != nullptr ? free : oldest;
  Slot content{};
  content.state = lookup.kind == LookupKind::Found ? kFound : kUnknown;
  content.key_hash = hash;
  content.stored_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(stored.time_since_epoch()).count();
  content.key_size = static_cast<std::uint16_t>(key.size());
  content.payload_size = static_cast<std::uint16_t>(payload.size());
  std::memcpy(content.data.data(), key.data(), key.size());
  std::memcpy(content.data.data() + key.size(), payload.data(), payload.size());
  publish(*target, content);
}

bool SharedCache::forget(const std::string& key) {
  const auto hash = fnv1a(key.data(), key.size());
  const WriteLock lock(*this, kAdministratorPatience);
  if (!lock.held()) throw std::runtime_error(path_.string() + ": the cache stayed busy; nothing was forgotten");
  bool forgot = false;
  Slot* set = set_of(hash);
  for (std::size_t i = 0; i < kWays; ++i) {
    const auto slot = read_slot(set[i]);
    if (!slot || !slot_holds(*slot, hash, key)) continue;
    publish(set[i], empty_slot());
    forgot = true;
  }
  return forgot;
}

std::size_t SharedCache::forget_all() {
  const WriteLock lock(*this, kAdministratorPatience);
  if (!lock.held()) throw std::runtime_error(path_.string() + ": the cache stayed busy; nothing was forgotten");
  return clear_slots();
}

std::size_t SharedCache::clear_slots() {
  std::size_t forgot = 0;
  Slot* all = slots();
  for (std::size_t i = 0; i < capacity_; ++i) {
    if (read_slot(all[i])) ++forgot;
    if (word(all[i], 0).load(std::memory_order_relaxed) == 0) {
      continue;  // never used: leave the page untouched (and unallocated)
    }
    publish(all[i], empty_slot());
  }
  return forgot;
}

std::size_t SharedCache::size() const {
  std::size_t n = 0;
  const Slot* all = slots();
  for (std::size_t i = 0; i < capacity_; ++i) n += read_slot(all[i]) ? 1 : 0;
  return n;
}

std::optional<CachedLookup> MemoryCacheStore::find(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end()) return it->second;
  return std::nullopt;
}

void MemoryCacheStore::store(const std::string& key, const Lookup& lookup, CacheClock::time_point stored) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_ && entries_.find(key) == entries_.end()) {
    // Full: first drop what is useless anyway (too old to serve even stale), then, if that was not
    // enough, an arbitrary tenth. A cache miss costs one lookup; unbounded memory costs the server.
    std::erase_if(entries_, [&](const auto& item) { return stored - item.second.stored >= max_useful_age_; });
    if (entries_.size() >= max_entries_) {
      auto it = entries_.begin();
      for (std::size_t n = max_entries_ / 10 + 1; n > 0 && it != entries_.end(); --n) it = entries_.erase(it);
    }
  }
  entries_.insert_or_assign(key, CachedLookup{lookup, stored});
}

std::size_t MemoryCacheStore::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace letterbox
