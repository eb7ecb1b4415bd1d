#include "letterbox/directory/shared_cache.hpp"

#include <atomic>
#include <cstring>
#include <stdexcept>

#include "shared_cache_layout.hpp"

namespace letterbox {
namespace {

using shared_cache_layout::kAdministratorPatience;
using shared_cache_layout::kEmpty;
using shared_cache_layout::kFound;
using shared_cache_layout::kSlotDataSize;
using shared_cache_layout::kStorePatience;
using shared_cache_layout::kUnknown;
using shared_cache_layout::Slot;

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

}  // namespace

std::optional<shared_cache_layout::Slot> SharedCache::read(const Slot& shared) const {
  std::optional<Slot> copy;
  if (!access([&] { copy = read_slot(shared); })) return std::nullopt;
  return copy;
}

bool SharedCache::write(Slot& shared, const Slot& content) {
  return access([&] { publish(shared, content); });
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
