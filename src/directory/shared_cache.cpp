#include "letterbox/directory/shared_cache.hpp"

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

#include <spdlog/spdlog.h>

#include "letterbox/util/hash.hpp"
#include "letterbox/util/private_file.hpp"

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

// Makes a new, fully initialised file with every block reserved, and links it into place (or, with
// `replace`, renames it over what is there), so that no process ever opens a file whose header is still
// being written. 0, EEXIST when another process made it first, or an errno.
int create_file(const std::filesystem::path& path, std::size_t entries, bool replace, std::string& why) {
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
  if (::fchmod(fd.get(), 0600) != 0 || ::ftruncate(fd.get(), size) != 0) {
    err = errno != 0 ? errno : EIO;
    why = describe_errno("cannot initialise " + temp.string());
  } else if (err = reserve_file_space(fd.get(), static_cast<std::size_t>(size)); err != 0) {
    why = "cannot reserve " + std::to_string(size) + " bytes for " + path.string() + ": " + std::strerror(err);
  } else if (::pwrite(fd.get(), &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) {
    err = errno != 0 ? errno : EIO;
    why = describe_errno("cannot initialise " + temp.string());
  } else if (replace ? ::rename(temp.c_str(), path.c_str()) != 0 : ::link(temp.c_str(), path.c_str()) != 0) {
    err = errno;
    if (err != EEXIST) why = describe_errno("cannot create " + path.string());
  }
  ::unlink(temp.c_str());
  return err;
}

}  // namespace

namespace {

// The file at `file` was found empty: an administrator's `: > cache`, or a tool other than ours (ours
// never link a file before it is whole). It is replaced by a new one, under a flock of the empty file
// and only while it is still the file at that name, so that two processes never both replace it. 0 (open
// it again), or an errno with `why`.
int replace_empty_file(const std::filesystem::path& file, int fd, std::size_t entries, std::string& why) {
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) return 0;  // another process is replacing it
  int err = 0;
  struct stat held {};
  struct stat named {};
  if (::fstat(fd, &held) == 0 && held.st_size == 0 && ::lstat(file.c_str(), &named) == 0 &&
      named.st_ino == held.st_ino && named.st_dev == held.st_dev) {
    err = create_file(file, entries, true, why);
  }
  ::flock(fd, LOCK_UN);
  return err;
}

// The header's promises, read with pread (no mapping yet, so a file that shrinks meanwhile costs nothing).
std::string header_problem(const std::filesystem::path& file, int fd, std::size_t file_size) {
  Header header{};
  if (file_size < kHeaderSize || ::pread(fd, &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) {
    return file.string() + " is too small to be a Letterbox cache";
  }
  if (header.magic != kMagic) return file.string() + " is not a Letterbox cache file";
  if (header.version != kVersion || header.header_size != kHeaderSize || header.slot_size != SharedCache::kSlotSize ||
      header.ways != SharedCache::kWays) {
    return file.string() + " has another format version (" + std::to_string(header.version) + "); remove it";
  }
  if (header.capacity == 0 || header.capacity % SharedCache::kWays != 0 ||
      kHeaderSize + header.capacity * SharedCache::kSlotSize != file_size) {
    return file.string() + " has the wrong size for its header; remove it";
  }
  return "";
}

}  // namespace

std::unique_ptr<SharedCache> SharedCache::open(const std::filesystem::path& file, std::size_t entries,
                                               std::string& why) {
  // A few rounds: the file may be made, or an empty one replaced, by another process meanwhile.
  for (int attempt = 0; attempt < 3; ++attempt) {
    UniqueFd fd(::open(file.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
      if (errno == ELOOP) {
        why = file.string() + " is a symlink";
        return nullptr;
      }
      if (errno != ENOENT) {
        why = describe_errno("cannot open " + file.string());
        return nullptr;
      }
      if (const int err = create_file(file, entries, false, why); err != 0 && err != EEXIST) return nullptr;
      continue;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
      why = describe_errno("cannot stat " + file.string());
      return nullptr;
    }
    if (why = private_file_problem(file, st); !why.empty()) return nullptr;
    if (st.st_size == 0) {
      if (replace_empty_file(file, fd.get(), entries, why) != 0) return nullptr;
      continue;
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (why = header_problem(file, fd.get(), size); !why.empty()) return nullptr;
    auto mapped = MappedFile::map(std::move(fd), size, file, why);
    if (!mapped) return nullptr;
    std::unique_ptr<SharedCache> cache(new SharedCache(file, std::move(mapped)));
    cache->forget_other_boot();
    if (cache->broken()) {
      why = file.string() + " was truncated while it was being opened";
      return nullptr;
    }
    return cache;
  }
  why = file.string() + " stayed empty or kept changing while it was being opened";
  return nullptr;
}

void SharedCache::forget_other_boot() {
  // Monotonic times from before a reboot mean nothing now.
  const auto boot = current_boot_id();
  bool same = true;
  if (!access([&] { same = header().boot_id == boot; }) || same) return;
  if (const WriteLock lock(*this, kStorePatience); lock.held()) {
    if (access([&] { same = header().boot_id == boot; }) && !same) {
      clear_slots();
      access([&] { header().boot_id = boot; });
    }
  }
}

SharedCache::SharedCache(std::filesystem::path path, std::unique_ptr<MappedFile> file)
    : path_(std::move(path)), file_(std::move(file)) {
  // Checked by open() against the file's size, read before the mapping existed.
  access([&] { capacity_ = header().capacity; });
}

SharedCache::~SharedCache() = default;

bool SharedCache::usable() const {
  if (broken()) return false;
  if (file_->intact()) return true;
  lose_file("shrank, or was deleted or replaced, while in use");
  return false;
}

void SharedCache::lose_file(const char* how) const {
  if (broken_.exchange(true)) return;
  spdlog::warn("the shared cache {} {}; caching in this process until it can be opened again", path_.string(), how);
}

std::optional<shared_cache_layout::Slot> SharedCache::read(const Slot& shared) const {
  std::optional<Slot> copy;
  if (!access([&] { copy = read_slot(shared); })) return std::nullopt;
  return copy;
}

bool SharedCache::write(Slot& shared, const Slot& content) {
  return access([&] { publish(shared, content); });
}

shared_cache_layout::Header& SharedCache::header() const {
  return *reinterpret_cast<Header*>(file_->data());
}

shared_cache_layout::Slot* SharedCache::slots() const {
  return reinterpret_cast<Slot*>(file_->data() + kHeaderSize);
}

shared_cache_layout::Slot* SharedCache::set_of(std::uint64_t hash) const {
  return slots() + (hash % (capacity_ / kWays)) * kWays;
}

void SharedCache::count_delivery(const Outcome& outcome) {
  const auto index = counted_reply_index(outcome);
  if (!index || !usable()) return;
  auto* counters = reinterpret_cast<std::uint64_t*>(file_->data() + shared_cache_layout::kCountersOffset);
  access([&] { std::atomic_ref<std::uint64_t>(counters[*index]).fetch_add(1, std::memory_order_relaxed); });
}

LdaDeliveries SharedCache::deliveries() const {
  LdaDeliveries out{};
  if (!usable()) return out;
  auto* counters = reinterpret_cast<std::uint64_t*>(file_->data() + shared_cache_layout::kCountersOffset);
  access([&] {
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = std::atomic_ref<std::uint64_t>(counters[i]).load(std::memory_order_relaxed);
    }
  });
  return out;
}

std::optional<CachedLookup> SharedCache::find(const std::string& key) {
  if (!usable()) return std::nullopt;
  const auto hash = fnv1a(key.data(), key.size());
  Slot* set = set_of(hash);
  for (std::size_t i = 0; i < kWays; ++i) {
    const auto slot = read(set[i]);
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
  if (!usable()) return;
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
    const auto slot = read(set[i]);
    if (broken()) return;
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
  write(*target, content);
}

bool SharedCache::forget(const std::string& key) {
  const auto hash = fnv1a(key.data(), key.size());
  if (!usable()) throw std::runtime_error(path_.string() + " changed while in use; nothing was forgotten");
  const WriteLock lock(*this, kAdministratorPatience);
  if (!lock.held()) throw std::runtime_error(path_.string() + ": the cache stayed busy; nothing was forgotten");
  bool forgot = false;
  Slot* set = set_of(hash);
  for (std::size_t i = 0; i < kWays; ++i) {
    const auto slot = read(set[i]);
    if (!slot || !slot_holds(*slot, hash, key)) continue;
    forgot = write(set[i], empty_slot()) || forgot;
  }
  return forgot;
}

std::size_t SharedCache::forget_all() {
  if (!usable()) throw std::runtime_error(path_.string() + " changed while in use; nothing was forgotten");
  const WriteLock lock(*this, kAdministratorPatience);
  if (!lock.held()) throw std::runtime_error(path_.string() + ": the cache stayed busy; nothing was forgotten");
  return clear_slots();
}

std::size_t SharedCache::clear_slots() {
  std::size_t forgot = 0;
  Slot* all = slots();
  for (std::size_t i = 0; i < capacity_ && !broken(); ++i) {
    if (read(all[i])) ++forgot;
    bool used = false;
    // A slot never used is left untouched (its page need not be brought in).
    if (access([&] { used = word(all[i], 0).load(std::memory_order_relaxed) != 0; }) && used) {
      write(all[i], empty_slot());
    }
  }
  return forgot;
}

std::size_t SharedCache::size() const {
  std::size_t n = 0;
  if (!usable()) return n;
  const Slot* all = slots();
  for (std::size_t i = 0; i < capacity_ && !broken(); ++i) n += read(all[i]) ? 1 : 0;
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
