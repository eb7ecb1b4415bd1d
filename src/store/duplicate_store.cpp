#include "letterbox/store/duplicate_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include "letterbox/store/mail_path.hpp"
#include "letterbox/util/file_io.hpp"
#include "letterbox/util/hash.hpp"
#include "letterbox/util/process_identity.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {
namespace {

using Salt = std::array<std::uint8_t, 16>;

constexpr char kMagic[8] = {'L', 'B', 'X', 'D', 'U', 'P', 'S', '1'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderSize = 48;
constexpr std::size_t kRecordSize = 48;
// FNV-1a's offset is the checksum's seed; another seed keeps a record of zeros from checking out.
constexpr std::uint64_t kChecksumSeed = 0x4c42584455505331ULL;

void put64(char* at, std::uint64_t v) {
  std::memcpy(at, &v, sizeof v);
}
void put32(char* at, std::uint32_t v) {
  std::memcpy(at, &v, sizeof v);
}
std::uint64_t get64(const char* at) {
  std::uint64_t v;
  std::memcpy(&v, at, sizeof v);
  return v;
}
std::uint32_t get32(const char* at) {
  std::uint32_t v;
  std::memcpy(&v, at, sizeof v);
  return v;
}

std::string header_bytes(const Salt& salt) {
  std::string h(kHeaderSize, '\0');
  std::memcpy(h.data(), kMagic, sizeof kMagic);
  put32(h.data() + 8, kRecordSize);
  put32(h.data() + 12, kVersion);
  std::memcpy(h.data() + 16, salt.data(), salt.size());
  put64(h.data() + 40, fnv1a(h.data(), 40, kChecksumSeed));
  return h;
}

void append_record(std::string& out, const DuplicateStore::Record& r) {
  char b[kRecordSize] = {};
  b[0] = static_cast<char>(r.kind);
  std::memcpy(b + 8, r.key.data(), r.key.size());
  put64(b + 24, static_cast<std::uint64_t>(r.when));
  put64(b + 32, static_cast<std::uint64_t>(r.keep_until));
  put64(b + 40, fnv1a(b, 40, kChecksumSeed));
  out.append(b, sizeof b);
}

// What a file holds, checked. `valid_end` is where the next record goes: the end of the last whole one.
struct Parsed {
  bool header_ok = false;
  Salt salt{};
  std::vector<DuplicateStore::Record> records;
  std::size_t bad_records = 0;
  std::size_t valid_end = 0;
  std::string why;  // when !header_ok
};

Parsed parse(std::string_view bytes) {
  Parsed p;
  if (bytes.size() < kHeaderSize) {
    p.why = "shorter than its header";
    return p;
  }
  const char* h = bytes.data();
  if (std::memcmp(h, kMagic, sizeof kMagic) != 0 || get64(h + 40) != fnv1a(h, 40, kChecksumSeed)) {
    p.why = "bad magic or header checksum";
    return p;
  }
  if (get32(h + 8) != kRecordSize || get32(h + 12) != kVersion) {
    p.why = "unknown version or record size";
    return p;
  }
  p.header_ok = true;
  std::memcpy(p.salt.data(), h + 16, p.salt.size());
  std::size_t at = kHeaderSize;
  for (; at + kRecordSize <= bytes.size(); at += kRecordSize) {
    const char* b = bytes.data() + at;
    if (get64(b + 40) != fnv1a(b, 40, kChecksumSeed)) {
      ++p.bad_records;
      continue;
    }
    DuplicateStore::Record r;
    r.kind = static_cast<std::uint8_t>(b[0]);
    std::memcpy(r.key.data(), b + 8, r.key.size());
    r.when = static_cast<std::int64_t>(get64(b + 24));
    r.keep_until = static_cast<std::int64_t>(get64(b + 32));
    p.records.push_back(r);
  }
  p.valid_end = at;
  return p;
}

// FNV-1a with 128 bits (its published prime and offset): no address in clear, and no accidental
// collision in any user's lifetime. The salt, random per file, keeps the hashes of one file from being
// checked against a list of addresses hashed in advance.
std::array<std::uint8_t, 16> key_hash(const Salt& salt, DuplicateKind kind, std::string_view key) {
  __extension__ using u128 = unsigned __int128;
  const u128 prime = (static_cast<u128>(1) << 88) + 0x13b;
  u128 h = (static_cast<u128>(0x6c62272e07bb0142ULL) << 64) | 0x62b821756295c58dULL;
  const auto mix = [&](const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) {
      h ^= p[i];
      h *= prime;
    }
  };
  mix(salt.data(), salt.size());
  const auto k = static_cast<std::uint8_t>(kind);
  mix(&k, 1);
  mix(key.data(), key.size());
  std::array<std::uint8_t, 16> out{};
  std::memcpy(out.data(), &h, out.size());
  return out;
}

int random_salt(Salt& salt) {
  std::size_t got = 0;
  while (got < salt.size()) {
    const ssize_t n = ::getrandom(salt.data() + got, salt.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    got += static_cast<std::size_t>(n);
  }
  return 0;
}

// Reads the regular file `name` in `dir` (not through a symlink), at most `limit` bytes: EFBIG beyond.
int read_state(int dir, int flags, UniqueFd& fd, std::size_t limit, std::string& bytes) {
  fd = UniqueFd(::openat(dir, DuplicateStore::kFileName, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) return errno;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno;
  if (!S_ISREG(st.st_mode)) return EINVAL;
  return read_all(fd.get(), limit, bytes);
}

// A file bigger than this is not one we wrote: compaction keeps it under max_records, and appends
// between compactions add at most one batch beyond it.
std::size_t size_limit(std::size_t max_records) {
  return kHeaderSize + (2 * max_records + 1024) * kRecordSize;
}

constexpr std::string_view kTemporaryPrefix = ".tmp.";

// Temporary files of rewrites killed before their rename. Only a writer holding the directory's lock
// makes one, so under the lock every one left is stale.
void remove_stale_temporaries(int dir) {
  UniqueFd copy(::fcntl(dir, F_DUPFD_CLOEXEC, 0));
  if (!copy) return;
  std::unique_ptr<DIR, int (*)(DIR*)> stream(::fdopendir(copy.get()), ::closedir);
  if (!stream) return;
  (void)copy.release();
  while (const dirent* entry = ::readdir(stream.get())) {
    const std::string_view name = entry->d_name;
    if (name.starts_with(kTemporaryPrefix) && name.ends_with(DuplicateStore::kFileName)) {
      (void)::unlinkat(dir, entry->d_name, 0);
    }
  }
}

// Replaces the file with `bytes` atomically and durably.
int replace_file(int dir, const std::string& bytes) {
  static std::atomic<unsigned> sequence{0};
  remove_stale_temporaries(dir);
  const std::string temporary = std::string(kTemporaryPrefix) + std::to_string(process_id()) + "." +
                                std::to_string(sequence++) + DuplicateStore::kFileName;
  UniqueFd fd(::openat(dir, temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return errno;
  int err = write_all(fd.get(), bytes);
  if (err == 0 && ::fsync(fd.get()) != 0) err = errno;
  if (err == 0) err = fd.close();
  if (err == 0 && ::renameat(dir, temporary.c_str(), dir, DuplicateStore::kFileName) != 0) err = errno;
  if (err != 0) {
    (void)::unlinkat(dir, temporary.c_str(), 0);
    return err;
  }
  return ::fsync(dir) == 0 ? 0 : errno;
}

// Makes `dir` if missing, opens it into `out` and takes the lock SieveScriptStore takes for a change: one
// writer per user directory, whatever the process. 0, or the errno with `what` failed.
int lock_directory(const std::filesystem::path& mail_root, const std::filesystem::path& dir, UniqueFd& out,
                   std::string& what) {
  // As for the scripts: a file root made could not be appended to by the delivery user afterwards.
  if (running_as_root()) {
    what = "refusing to write " + (dir / DuplicateStore::kFileName).string() + " as root";
    return EPERM;
  }
  what = dir.string();
  if (const int err = make_directories(mail_root, dir); err != 0) return err;
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return errno;
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      what = "locking " + dir.string();
      return errno;
    }
  }
  out = std::move(fd);
  return 0;
}

}  // namespace

std::string duplicate_key(std::initializer_list<std::string_view> parts) {
  std::string key;
  for (const auto part : parts) {
    key += std::to_string(part.size());
    key += ':';
    key += part;
  }
  return key;
}

std::optional<DuplicateStore> DuplicateStore::open(const std::filesystem::path& mail_root, std::string_view user_dir,
                                                   std::string& why, std::size_t max_records) {
  auto dir = confine_to_root(mail_root, user_dir, why);
  if (!dir) return std::nullopt;
  return DuplicateStore(mail_root, std::move(*dir), std::max<std::size_t>(max_records, 2));
}

DuplicateLoad DuplicateStore::load() {
  records_.clear();
  salt_.reset();
  DuplicateLoad result;
  const auto path = file().string();
  UniqueFd dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    if (errno == ENOENT) return result;
    return {DuplicateFileState::Failed, 0, 0, dir_.string() + ": " + std::strerror(errno)};
  }
  UniqueFd fd;
  std::string bytes;
  const int err = read_state(dir.get(), O_RDONLY, fd, size_limit(max_records_), bytes);
  if (err == ENOENT) return result;
  if (err == EFBIG) return {DuplicateFileState::Damaged, 0, 0, path + ": larger than this store ever makes it"};
  if (err == EINVAL) return {DuplicateFileState::Failed, 0, 0, path + ": not a regular file"};
  if (err != 0) return {DuplicateFileState::Failed, 0, 0, path + ": " + std::strerror(err)};
  Parsed parsed = parse(bytes);
  if (!parsed.header_ok) return {DuplicateFileState::Damaged, 0, 0, path + ": " + parsed.why};
  salt_ = parsed.salt;
  records_ = std::move(parsed.records);
  result.records = records_.size();
  result.bad_records = parsed.bad_records;
  return result;
}

DuplicateLoad DuplicateStore::hold() {
  release();
  UniqueFd dir;
  std::string why;
  if (const int err = lock_directory(mail_root_, dir_, dir, why); err != 0) {
    return {DuplicateFileState::Failed, 0, 0, why + ": " + std::strerror(err)};
  }
  held_dir_ = std::move(dir);
  auto result = load();
  if (result.state == DuplicateFileState::Failed) release();
  return result;
}

bool DuplicateStore::seen(DuplicateKind kind, std::string_view key, std::time_t now, std::time_t period) const {
  const auto from = static_cast<std::int64_t>(now) - static_cast<std::int64_t>(period);
  for (const auto& p : batch_) {
    if (p.kind == kind && p.key == key && p.when >= from) return true;
  }
  if (!salt_) return false;
  const auto h = key_hash(*salt_, kind, key);
  return std::any_of(records_.begin(), records_.end(), [&](const Record& r) {
    return r.kind == static_cast<std::uint8_t>(kind) && r.key == h && r.when >= from;
  });
}

void DuplicateStore::record(DuplicateKind kind, std::string_view key, std::time_t now, std::time_t keep_for) {
  const auto when = static_cast<std::int64_t>(now);
  batch_.push_back({kind, std::string(key), when, when + std::max<std::int64_t>(keep_for, 0)});
}

DuplicateCommit DuplicateStore::commit(std::time_t now) {
  DuplicateCommit result;
  if (batch_.empty()) return result;
  const auto path = file().string();
  const auto fail = [&](const std::string& what, int err) {
    result.error = err;
    result.detail = what + ": " + std::strerror(err);
    return result;
  };
  // Under hold() the lock is ours already: a second flock() on another descriptor would wait for it.
  UniqueFd locked;
  if (!held_dir_) {
    std::string what;
    if (const int err = lock_directory(mail_root_, dir_, locked, what); err != 0) return fail(what, err);
  }
  const int dir = held_dir_ ? held_dir_.get() : locked.get();

  // Read again under the lock: another delivery may have appended or compacted since load().
  UniqueFd fd;
  std::string bytes;
  const int err = read_state(dir, O_RDWR, fd, size_limit(max_records_), bytes);
  if (err == EINVAL) {
    result.error = err;
    result.detail = path + ": not a regular file";
    return result;
  }
  if (err != 0 && err != ENOENT && err != EFBIG) return fail(path, err);
  Parsed parsed = err == 0 ? parse(bytes) : Parsed{};
  bool rewrite = !parsed.header_ok;
  if (rewrite) {
    // Missing or not ours: a new file with a new salt.
    if (const int e = random_salt(parsed.salt); e != 0) return fail("getrandom", e);
    parsed.records.clear();
    parsed.bad_records = 0;
  }
  std::vector<Record> added;
  for (const auto& p : batch_) {
    added.push_back({static_cast<std::uint8_t>(p.kind), key_hash(parsed.salt, p.kind, p.key), p.when, p.keep_until});
  }
  if (parsed.records.size() + parsed.bad_records + added.size() > max_records_) rewrite = true;

  if (rewrite) {
    const auto horizon = static_cast<std::int64_t>(now);
    std::vector<Record> keep;
    for (const auto& r : parsed.records) {
      if (r.keep_until >= horizon) keep.push_back(r);
    }
    keep.insert(keep.end(), added.begin(), added.end());
    if (keep.size() > max_records_) {
      // Still too many that are not over: the newest three quarters stay, so that the next
      // compaction is not the next commit.
      std::stable_sort(keep.begin(), keep.end(), [](const Record& a, const Record& b) { return a.when > b.when; });
      keep.resize(std::max<std::size_t>(max_records_ * 3 / 4, 1));
    }
    std::string out = header_bytes(parsed.salt);
    for (const auto& r : keep) append_record(out, r);
    if (const int e = replace_file(dir, out); e != 0) return fail(path, e);
    result.rewritten = true;
    parsed.records = std::move(keep);
  } else {
    // Cut off a torn last record, then append the batch in one write.
    if (parsed.valid_end != bytes.size() && ::ftruncate(fd.get(), static_cast<off_t>(parsed.valid_end)) != 0) {
      return fail(path, errno);
    }
    std::string out;
    for (const auto& r : added) append_record(out, r);
    if (::lseek(fd.get(), static_cast<off_t>(parsed.valid_end), SEEK_SET) < 0) return fail(path, errno);
    if (const int e = write_all(fd.get(), out); e != 0) return fail(path, e);
    if (::fdatasync(fd.get()) != 0) return fail(path, errno);
    parsed.records.insert(parsed.records.end(), added.begin(), added.end());
  }
  salt_ = parsed.salt;
  records_ = std::move(parsed.records);
  batch_.clear();
  return result;
}

}  // namespace letterbox
