// The shared cache's file: made whole before it is linked into place, checked against its header, mapped,
// and forgotten across a reboot; and letterbox-lda's delivery counters in its header page. The slots
// themselves are read and written in shared_cache.cpp.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "letterbox/directory/shared_cache.hpp"
#include "letterbox/util/errno_text.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/private_file.hpp"
#include "letterbox/util/process_identity.hpp"
#include "shared_cache_layout.hpp"

namespace letterbox {
namespace {

using shared_cache_layout::Header;
using shared_cache_layout::kHeaderSize;
using shared_cache_layout::kMagic;
using shared_cache_layout::kStorePatience;
using shared_cache_layout::kVersion;

std::array<char, 37> current_boot_id() {
  std::array<char, 37> id{};
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  in.read(id.data(), id.size() - 1);
  return id;
}

// Makes a new, fully initialised file with every block reserved, and links it into place (or, with
// `replace`, renames it over what is there), so that no process ever opens a file whose header is still
// being written. 0, EEXIST when another process made it first, or an errno.
int create_file(const std::filesystem::path& path, std::size_t entries, bool replace, std::string& why) {
  const std::size_t capacity = std::max<std::size_t>(
      SharedCache::kWays, (entries + SharedCache::kWays - 1) / SharedCache::kWays * SharedCache::kWays);
  const auto temp = path.parent_path() / (path.filename().string() + ".new." + std::to_string(process_id()));
  UniqueFd fd(::open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    why = describe_errno("cannot create " + temp.string());
    return errno;
  }
  const auto size = static_cast<off_t>(kHeaderSize + capacity * SharedCache::kSlotSize);
  Header header{kMagic, kVersion, kHeaderSize, SharedCache::kSlotSize, SharedCache::kWays, capacity, current_boot_id()};
  int err = 0;
  // Sizing the file and writing its header fail alike (the branches are the same on purpose).
  // NOLINTNEXTLINE(bugprone-branch-clone)
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
  log::warn("the shared cache {} {}; caching in this process until it can be opened again", path_.string(), how);
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

}  // namespace letterbox
