// Greylist: letterbox-policyd's memory of (client network, sender, recipient) triplets, in one
// memory-mapped file ([policy] greylist_db) of fixed-size entries in 8-way sets.
//  - Persistent: the mapping is the file, so a kill -9 loses nothing; flush() (once a second) bounds what
//    a machine crash loses. One process owns the file at a time (a flock).
//  - Never a crash and never a reason to reject: each entry carries a checksum, and a torn or damaged
//    entry reads as never seen (one more deferral for that triplet). A file whose header is wrong is
//    logged by the caller and rebuilt empty. Every block of the file is reserved when it is opened
//    (mapped_file.hpp), so a full filesystem refuses the store instead of killing the process later; a
//    store truncated, deleted or replaced under the running service is let go (logged once: nothing is
//    greylisted meanwhile, Kind::Off) and opened again, rebuilt if need be, a few seconds later.
//  - Bounded (capacity from greylist_max_entries) and self-expiring: an entry past its time is free, a
//    full set gives up its least recently used entry.
// Triplets are normalised before they get here (greylist_triplet()); only a 128-bit hash is stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "letterbox/config/config.hpp"
#include "letterbox/util/mapped_file.hpp"

namespace letterbox {

struct GreylistTriplet {
  std::string network;    // "192.0.2.0/24"
  std::string sender;     // normalised
  std::string recipient;  // lower-cased
};

// The triplet letterbox-policyd(8) describes ("Greylisting"): the client's /24 (or /64) network, the sender lower-cased
// with BATV tags removed and digit runs collapsed (a retry with a new bounce tag matches), the recipient lower-cased.
GreylistTriplet greylist_triplet(std::string_view client_address, std::string_view sender, std::string_view recipient,
                                 const PolicySettings& settings);
std::string normalise_greylist_sender(std::string_view sender);

struct GreylistVerdict {
  enum class Kind {
    Defer,      // first seen, retried too early, or after the retry window: `seconds` left to wait
    PassFirst,  // the retry that ends the wait: `seconds` it was delayed (for X-Greylist)
    Pass,       // known triplet, or an auto-allowed client network
    Off,        // the store is unusable for now (logged): nothing is greylisted
  };
  Kind kind = Kind::Pass;
  std::int64_t seconds = 0;
};

class Greylist {
 public:
  using Clock = std::chrono::system_clock;  // wall time: entries outlive the process and reboots
  static constexpr std::size_t kEntrySize = 64;
  static constexpr std::size_t kWays = 8;

  // Opens or creates the store. A store whose header is damaged or of another size is replaced by an
  // empty one and `rebuilt` says why. nullptr with `why` when the file cannot be used at all (a symlink,
  // not ours, in use by another process, or an I/O error): greylisting is then off.
  static std::unique_ptr<Greylist> open(const std::filesystem::path& file, const PolicySettings& settings,
                                        std::string& rebuilt, std::string& why);
  ~Greylist();
  Greylist(const Greylist&) = delete;
  Greylist& operator=(const Greylist&) = delete;

  GreylistVerdict check(const GreylistTriplet& triplet, Clock::time_point now);

  // New delays and limits after a reload (the file and its capacity stay until a restart).
  void configure(const PolicySettings& settings);

  // Writes dirty pages to disk (msync); the caller runs it about once a second. Also notices a store that
  // went away without traffic, and opens it again.
  void flush();

  [[nodiscard]] std::size_t capacity() const { return capacity_; }
  [[nodiscard]] std::size_t size(Clock::time_point now);  // live entries, triplets and networks

  struct Entry;

 private:
  Greylist(std::filesystem::path path, std::shared_ptr<MappedFile> file, std::size_t capacity, const PolicySettings& s);
  static std::shared_ptr<MappedFile> open_store(const std::filesystem::path& file, std::size_t capacity,
                                                std::string& rebuilt, std::string& why);
  // Under mutex_: the store to use now, opening it again when it went away; null while it cannot be had.
  std::shared_ptr<MappedFile> usable_store();
  void lose_store(const char* how);
  GreylistVerdict decide(const GreylistTriplet& triplet, Clock::time_point now);  // under mutex_ and the guard
  [[nodiscard]] Entry* entries() const;
  Entry* find(std::uint64_t hi, std::uint64_t lo, Clock::time_point now);
  Entry* claim(std::uint64_t hi, std::uint64_t lo, Clock::time_point now);
  [[nodiscard]] bool live(const Entry& entry, Clock::time_point now) const;
  void allow_network(const std::string& network, Clock::time_point now);

  std::filesystem::path path_;
  std::shared_ptr<MappedFile> file_;  // its descriptor holds the flock; null while the store is unusable
  std::chrono::steady_clock::time_point next_open_{};
  std::string refused_because_;  // the last reason it could not be opened again, said once
  std::size_t capacity_;
  std::chrono::milliseconds delay_;
  std::chrono::milliseconds retry_window_;
  std::chrono::milliseconds expire_;
  unsigned auto_allow_;
  mutable std::mutex mutex_;
};

}  // namespace letterbox
