// The per-user record of what a Sieve run already did, which the spec calls the duplicate store: one
// vacation reply per sender and handle per period (RFC 5230 §4.2), one redirect of a message to an
// address per redirect_duplicate_period, and the `duplicate` test's ids (RFC 7352). Delivery asks
// seen() before acting and records what it did only once the copies are durable (RFC 7352 §3: "only if
// the message is delivered").
//
// One file per user, `.letterbox-state` in the user's [sieve] user_dir: the leading dot keeps it out of
// every script listing (no script name starts with one) and the name says whose file it is. Layout
// (host byte order: the file never leaves the host that wrote it):
//
//   header, 48 bytes: magic "LBXDUPS1", record size (u32), version (u32), a random salt (16 bytes),
//                     reserved (u64, 0), FNV-1a of the 40 bytes before
//   records, 48 bytes each, appended: kind (u8), 7 zero bytes, key hash (16 bytes), when (i64, seconds),
//                     keep until (i64, seconds), FNV-1a of the 40 bytes before
//
// A key is hashed (FNV-1a 128 over the salt, the kind and the key): no address is stored in clear, and
// 128 bits make an accidental collision (a reply suppressed for the wrong sender) out of reach. Appends
// are one write() of whole records and an fsync under an exclusive flock on the user's directory (the
// lock SieveScriptStore takes), so deliveries in other threads and processes never interleave; readers
// take no lock. A kill -9 during an append leaves a short last record (cut off) or, after a power
// loss, one whose checksum fails (skipped): every record committed before survives. The file is never
// trusted: a bad header or size makes it empty, and the next commit rebuilds it. When it holds more than
// `max_records`, a commit rewrites it (temporary file, fsync, rename, fsync of the directory) without
// the records whose time is over, then without the oldest ones if still too many; a rewrite also removes
// the temporary files of rewrites killed before their rename.
//
// Between load() and commit() another delivery to the same user may record the same key. Where that
// matters (two deliveries at once must not both send a vacation reply), hold() takes the lock first and
// reads the file under it, so that seen(), the action and commit() are one step; release() ends it.
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "letterbox/util/unique_fd.hpp"

namespace letterbox {

enum class DuplicateKind : std::uint8_t {
  Vacation = 1,   // key: the sender and the vacation handle
  Redirect = 2,   // key: the message and the address it went to
  Duplicate = 3,  // key: the duplicate test's handle and id
};

// What load() found, for the caller to log.
enum class DuplicateFileState {
  Ok,       // read; it may have had no file yet
  Damaged,  // bad header or size: treated as empty, rebuilt by the next commit
  Failed,   // could not be read (`detail`): treated as empty, nothing is written over it
};

struct DuplicateLoad {
  DuplicateFileState state = DuplicateFileState::Ok;
  std::size_t records = 0;      // the records read
  std::size_t bad_records = 0;  // records skipped for a bad checksum (a torn write)
  std::string detail;           // why Damaged or Failed, naming the file
};

struct DuplicateCommit {
  int error = 0;           // 0, or the errno that stopped the commit (nothing of this batch may be relied on)
  std::string detail;      // what failed, naming the file
  bool rewritten = false;  // the file was rebuilt or compacted rather than appended to
  [[nodiscard]] bool ok() const { return error == 0; }
};

// Joins parts of a key so that ("ab","c") and ("a","bc") differ: each part is prefixed by its length.
std::string duplicate_key(std::initializer_list<std::string_view> parts);

class DuplicateStore {
 public:
  static constexpr const char* kFileName = ".letterbox-state";
  static constexpr std::size_t kDefaultMaxRecords = 16384;  // 768 KiB at most per user

  // `user_dir` as SieveScriptStore::open takes it; nullopt, with `why`, when it leaves mail_root.
  static std::optional<DuplicateStore> open(const std::filesystem::path& mail_root, std::string_view user_dir,
                                            std::string& why, std::size_t max_records = kDefaultMaxRecords);

  [[nodiscard]] std::filesystem::path file() const { return dir_ / kFileName; }

  // Reads the file (again), forgetting what was read before; the batch is kept.
  DuplicateLoad load();

  // Takes the user directory's lock (the one commit() takes; the directory is made if missing), then
  // reads the file as load() does: until release(), no other delivery to this user, in any process, can
  // record or commit. Failed (nothing held) when the directory cannot be made, opened or locked, or as
  // root. Holding it across a sendmail run is the point: the others wait at most that long.
  DuplicateLoad hold();
  void release() { held_dir_.reset(); }

  // Was `key` of `kind` recorded at a time in [now - period, now]? A record from the future (the clock
  // went back) counts as seen: a reply too few is better than a storm. Records in the batch count too.
  [[nodiscard]] bool seen(DuplicateKind kind, std::string_view key, std::time_t now, std::time_t period) const;

  // Adds to the batch: `key` was acted on at `now` and is worth keeping for `keep_for` seconds.
  void record(DuplicateKind kind, std::string_view key, std::time_t now, std::time_t keep_for);
  [[nodiscard]] std::size_t pending() const { return batch_.size(); }
  // Drops the batch (the delivery failed: RFC 7352 records nothing then).
  void discard() { batch_.clear(); }

  // Writes the batch durably (fsync before it returns) and empties it; makes user_dir if missing.
  DuplicateCommit commit(std::time_t now);

  struct Record {
    std::uint8_t kind = 0;
    std::array<std::uint8_t, 16> key{};
    std::int64_t when = 0;
    std::int64_t keep_until = 0;
  };

 private:
  DuplicateStore(std::filesystem::path mail_root, std::filesystem::path dir, std::size_t max_records)
      : mail_root_(std::move(mail_root)), dir_(std::move(dir)), max_records_(max_records) {}

  struct Pending {
    DuplicateKind kind;
    std::string key;  // hashed at commit, with the salt of the file as it is then
    std::int64_t when;
    std::int64_t keep_until;
  };

  std::filesystem::path mail_root_;
  std::filesystem::path dir_;
  std::size_t max_records_;
  std::optional<std::array<std::uint8_t, 16>> salt_;  // the file's, once read or made
  std::vector<Record> records_;                       // as read
  std::vector<Pending> batch_;
  UniqueFd held_dir_;  // the user directory, flock()ed, while held
};

}  // namespace letterbox
