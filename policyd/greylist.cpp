#include "greylist.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "letterbox/util/errno_text.hpp"
#include "letterbox/util/hash.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/network.hpp"
#include "letterbox/util/private_file.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox {

namespace {

constexpr std::array<char, 8> kMagic{'L', 'B', 'X', 'G', 'R', 'E', 'Y', '1'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderSize = 4096;
// How long a store that went away, or could not be opened again, is left before the next attempt.
constexpr auto kReopenAfter = std::chrono::seconds(10);

enum EntryKind : std::uint32_t { kFree = 0, kTriplet = 1, kNetwork = 2 };

constexpr std::uint64_t kSeedHigh = kFnvOffset;
constexpr std::uint64_t kSeedLow = 0x9e3779b97f4a7c15ULL;

struct Header {
  std::array<char, 8> magic;
  std::uint32_t version;
  std::uint32_t header_size;
  std::uint64_t entry_size;
  std::uint64_t ways;
  std::uint64_t capacity;
  std::uint64_t checksum;  // of the fields above

  [[nodiscard]] std::uint64_t compute_checksum() const { return fnv1a(this, offsetof(Header, checksum), kSeedHigh); }
};
static_assert(sizeof(Header) <= kHeaderSize);

std::int64_t to_ms(Greylist::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::size_t capacity_for(unsigned max_entries) {
  return std::max<std::size_t>(Greylist::kWays,
                               (max_entries + Greylist::kWays - 1) / Greylist::kWays * Greylist::kWays);
}

}  // namespace

struct Greylist::Entry {
  std::uint64_t key_high;
  std::uint64_t key_low;
  std::int64_t first_seen_ms;  // the first attempt of this round
  std::int64_t last_seen_ms;   // the last attempt, or the last use after passing
  std::int64_t passed_ms;      // when the triplet first passed; 0: still waiting
  std::uint32_t kind;
  std::uint32_t passed_count;  // a network entry: how many of its triplets passed
  std::uint64_t checksum;      // of everything above: a torn or damaged entry is free
  std::uint64_t reserved;

  [[nodiscard]] std::uint64_t compute_checksum() const { return fnv1a(this, offsetof(Entry, checksum), kSeedLow); }
  [[nodiscard]] bool intact() const { return kind != kFree && checksum == compute_checksum(); }
  void seal() { checksum = compute_checksum(); }
};
static_assert(sizeof(Greylist::Entry) == Greylist::kEntrySize);

GreylistTriplet greylist_triplet(std::string_view client_address, std::string_view sender, std::string_view recipient,
                                 const PolicySettings& settings) {
  GreylistTriplet t;
  if (const auto ip = parse_ip_address(client_address)) {
    t.network = network_of(*ip, ip->v6 ? settings.greylist_network_v6 : settings.greylist_network_v4).to_string();
  } else {
    t.network = std::string(client_address);  // "unknown" or garbage: still one key per value
  }
  t.sender = normalise_greylist_sender(sender);
  t.recipient = ascii_lower(recipient);
  return t;
}

std::string normalise_greylist_sender(std::string_view sender) {
  const std::string lower = ascii_lower(sender);
  const auto at = lower.rfind('@');
  std::string local = at == std::string::npos ? lower : lower.substr(0, at);
  const std::string domain = at == std::string::npos ? "" : lower.substr(at);
  // BATV (prvs=TAG=user, msprvs1=TAG=user): the tag changes with every message.
  for (const std::string_view prefix : {"prvs=", "msprvs1="}) {
    if (local.starts_with(prefix)) {
      const auto second = local.find('=', prefix.size());
      if (second != std::string::npos) local = local.substr(second + 1);
      break;
    }
  }
  // VERP and bounce counters: every run of digits is one '#'.
  std::string out;
  for (char c : local) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (out.empty() || out.back() != '#') out += '#';
    } else {
      out += c;
    }
  }
  return out + domain;
}

std::unique_ptr<Greylist> Greylist::open(const std::filesystem::path& file, const PolicySettings& settings,
                                         std::string& rebuilt, std::string& why) {
  const std::size_t capacity = capacity_for(settings.greylist_max_entries);
  auto store = open_store(file, capacity, rebuilt, why);
  if (!store) return nullptr;
  return std::unique_ptr<Greylist>(new Greylist(file, std::move(store), capacity, settings));
}

std::shared_ptr<MappedFile> Greylist::open_store(const std::filesystem::path& file, std::size_t capacity,
                                                 std::string& rebuilt, std::string& why) {
  rebuilt.clear();
  UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    why = errno == ELOOP ? file.string() + " is a symlink" : describe_errno("cannot open " + file.string());
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    why = describe_errno("cannot stat " + file.string());
    return nullptr;
  }
  if (why = private_file_problem(file, st); !why.empty()) return nullptr;
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    why = file.string() + " is in use by another process";
    return nullptr;
  }
  const auto size = static_cast<off_t>(kHeaderSize + capacity * kEntrySize);

  Header header{};
  const bool read_whole = ::pread(fd.get(), &header, sizeof header, 0) == static_cast<ssize_t>(sizeof header);
  if (st.st_size == 0) {
    // New (or emptied by an administrator): nothing to report.
  } else if (!read_whole || header.magic != kMagic) {
    rebuilt = file.string() + " is not a greylist store (damaged?)";
  } else if (header.checksum != header.compute_checksum() || header.version != kVersion ||
             header.header_size != kHeaderSize || header.entry_size != kEntrySize || header.ways != kWays) {
    rebuilt = file.string() + " has a damaged header or another format version";
  } else if (header.capacity != capacity || st.st_size != size) {
    rebuilt = file.string() + " holds " + std::to_string(header.capacity) + " entries; greylist_max_entries asks for " +
              std::to_string(capacity);
  }
  const bool usable = st.st_size != 0 && rebuilt.empty();
  if (!usable) {
    // A new or rebuilt store: empty entries, then a sealed header. MappedFile::map reserves the blocks.
    header = Header{kMagic, kVersion, kHeaderSize, kEntrySize, kWays, capacity, 0};
    header.checksum = header.compute_checksum();
    if (::ftruncate(fd.get(), 0) != 0 || ::ftruncate(fd.get(), size) != 0 ||
        ::pwrite(fd.get(), &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header) ||
        ::fsync(fd.get()) != 0) {
      why = describe_errno("cannot initialise " + file.string());
      return nullptr;
    }
  }
  return MappedFile::map(std::move(fd), static_cast<std::size_t>(size), file, why);
}

Greylist::Greylist(std::filesystem::path path, std::shared_ptr<MappedFile> file, std::size_t capacity,
                   const PolicySettings& s)
    : path_(std::move(path)), file_(std::move(file)), capacity_(capacity) {
  configure(s);
}

Greylist::~Greylist() {
  if (file_ && file_->intact()) ::msync(file_->data(), file_->size(), MS_SYNC);
}

void Greylist::configure(const PolicySettings& settings) {
  std::lock_guard lock(mutex_);
  delay_ = settings.greylist_delay;
  retry_window_ = settings.greylist_retry_window;
  expire_ = settings.greylist_expire;
  auto_allow_ = settings.greylist_auto_allow;
}

void Greylist::flush() {
  std::shared_ptr<MappedFile> store;
  {
    std::lock_guard lock(mutex_);
    store = usable_store();
  }
  // Outside the lock: a decision never waits for the disk. msync touches no page through the CPU, so a
  // store truncated meanwhile makes it fail, not fault.
  if (store) ::msync(store->data(), store->size(), MS_SYNC);
}

std::shared_ptr<MappedFile> Greylist::usable_store() {
  if (file_) {
    if (file_->intact()) return file_;
    lose_store("shrank, or was deleted or replaced, while in use");
  }
  const auto now = std::chrono::steady_clock::now();
  if (now < next_open_) return nullptr;
  next_open_ = now + kReopenAfter;
  std::string rebuilt;
  std::string why;
  auto store = open_store(path_, capacity_, rebuilt, why);
  if (!store) {
    if (why != refused_because_) log::error("greylisting stays off: {}", why);
    refused_because_ = why;
    return nullptr;
  }
  log::warn("greylist store {} opened again{}; greylisting is on", path_.string(),
            rebuilt.empty() ? std::string() : ", rebuilt empty: " + rebuilt);
  refused_because_.clear();
  file_ = std::move(store);
  return file_;
}

void Greylist::lose_store(const char* how) {
  log::error("greylist store {} {}; greylisting is off until it can be opened again", path_.string(), how);
  file_.reset();
  next_open_ = std::chrono::steady_clock::now() + kReopenAfter;
}

Greylist::Entry* Greylist::entries() const {
  return static_cast<Entry*>(static_cast<void*>(file_->data() + kHeaderSize));
}

bool Greylist::live(const Entry& entry, Clock::time_point now) const {
  if (!entry.intact()) return false;
  const auto now_ms = to_ms(now);
  if (entry.kind == kTriplet && entry.passed_ms == 0) {
    // Waiting: useful until the retry window, counted from the first attempt, has closed.
    return now_ms - entry.first_seen_ms <= (delay_ + retry_window_).count();
  }
  return now_ms - entry.last_seen_ms <= expire_.count();
}

Greylist::Entry* Greylist::find(std::uint64_t hi, std::uint64_t lo, Clock::time_point now) {
  auto* set = entries() + (hi % (capacity_ / kWays)) * kWays;
  for (std::size_t i = 0; i < kWays; ++i) {
    if (set[i].key_high == hi && set[i].key_low == lo && live(set[i], now)) return &set[i];
  }
  return nullptr;
}

Greylist::Entry* Greylist::claim(std::uint64_t hi, std::uint64_t lo, Clock::time_point now) {
  auto* set = entries() + (hi % (capacity_ / kWays)) * kWays;
  Entry* oldest = &set[0];
  for (std::size_t i = 0; i < kWays; ++i) {
    if (!live(set[i], now)) {
      oldest = &set[i];
      break;
    }
    if (set[i].last_seen_ms < oldest->last_seen_ms) oldest = &set[i];
  }
  *oldest = Entry{hi, lo, to_ms(now), to_ms(now), 0, kFree, 0, 0, 0};
  return oldest;
}

namespace {

std::pair<std::uint64_t, std::uint64_t> key_of(std::string_view kind, std::initializer_list<std::string_view> parts) {
  std::uint64_t hi = fnv1a(kind.data(), kind.size(), kSeedHigh);
  std::uint64_t lo = fnv1a(kind.data(), kind.size(), kSeedLow);
  for (const auto part : parts) {
    const char separator = '\0';  // so that ("ab","c") and ("a","bc") differ
    hi = fnv1a(&separator, 1, fnv1a(part.data(), part.size(), hi));
    lo = fnv1a(&separator, 1, fnv1a(part.data(), part.size(), lo));
  }
  return {hi, lo};
}

std::int64_t seconds_up(std::int64_t ms) {
  return ms <= 0 ? 0 : (ms + 999) / 1000;
}

}  // namespace

void Greylist::allow_network(const std::string& network, Clock::time_point now) {
  const auto [hi, lo] = key_of("network", {network});
  Entry* entry = find(hi, lo, now);
  if (entry == nullptr) {
    entry = claim(hi, lo, now);
    entry->kind = kNetwork;
  }
  ++entry->passed_count;
  entry->last_seen_ms = to_ms(now);
  entry->seal();
}

GreylistVerdict Greylist::check(const GreylistTriplet& triplet, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (!usable_store()) return {GreylistVerdict::Kind::Off, 0};
  GreylistVerdict verdict;
  if (!file_->guarded([&] { verdict = decide(triplet, now); })) {
    lose_store("was truncated while in use");
    return {GreylistVerdict::Kind::Off, 0};
  }
  return verdict;
}

GreylistVerdict Greylist::decide(const GreylistTriplet& triplet, Clock::time_point now) {
  const auto now_ms = to_ms(now);
  if (auto_allow_ > 0) {
    const auto [hi, lo] = key_of("network", {triplet.network});
    if (Entry* network = find(hi, lo, now); network != nullptr && network->passed_count >= auto_allow_) {
      network->last_seen_ms = now_ms;
      network->seal();
      return {GreylistVerdict::Kind::Pass, 0};
    }
  }
  const auto [hi, lo] = key_of("triplet", {triplet.network, triplet.sender, triplet.recipient});
  Entry* entry = find(hi, lo, now);
  if (entry != nullptr && entry->passed_ms != 0) {
    entry->last_seen_ms = now_ms;
    entry->seal();
    return {GreylistVerdict::Kind::Pass, 0};
  }
  if (entry == nullptr) {
    entry = claim(hi, lo, now);
    entry->kind = kTriplet;
    entry->seal();
    return {GreylistVerdict::Kind::Defer, seconds_up(delay_.count())};
  }
  const std::int64_t waited = now_ms - entry->first_seen_ms;
  entry->last_seen_ms = now_ms;
  if (waited < delay_.count()) {
    entry->seal();
    return {GreylistVerdict::Kind::Defer, seconds_up(delay_.count() - waited)};
  }
  entry->passed_ms = now_ms;
  entry->seal();
  allow_network(triplet.network, now);
  return {GreylistVerdict::Kind::PassFirst, waited / 1000};
}

std::size_t Greylist::size(Clock::time_point now) {
  // A chunk at a time, so that the metrics' count of a large store never holds up a decision for long.
  constexpr std::size_t kChunk = 4096;
  std::size_t n = 0;
  for (std::size_t begin = 0; begin < capacity_; begin += kChunk) {
    std::lock_guard lock(mutex_);
    if (!file_ || !file_->intact()) return n;  // check() and flush() deal with it
    const Entry* all = entries();
    const std::size_t end = std::min(capacity_, begin + kChunk);
    if (!file_->guarded([&] {
          for (std::size_t i = begin; i < end; ++i) n += live(all[i], now) ? 1 : 0;
        })) {
      lose_store("was truncated while in use");
      return n;
    }
  }
  return n;
}

}  // namespace letterbox
