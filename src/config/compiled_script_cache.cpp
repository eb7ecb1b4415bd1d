#include "letterbox/config/compiled_script_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "letterbox/util/unique_fd.hpp"

namespace letterbox {

std::shared_ptr<const SieveFileCheck> CompiledScriptCache::get(const std::filesystem::path& path, bool no_follow) {
  const auto unreadable = [](int err) {
    auto check = std::make_shared<SieveFileCheck>();
    check->read_errno = err;
    return std::shared_ptr<const SieveFileCheck>(std::move(check));
  };
  // One descriptor for the stat and the read: what is compiled is the file the key describes.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (no_follow ? O_NOFOLLOW : 0)));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) return unreadable(errno);
  if (!S_ISREG(st.st_mode)) return unreadable(S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
  const FileKey key{st.st_dev, st.st_ino, st.st_size,
                    static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
  const std::string name = path.string();
  {
    const std::lock_guard lock(mutex_);
    if (auto it = entries_.find(name); it != entries_.end() && it->second.key == key) {
      recent_.splice(recent_.begin(), recent_, it->second.recent);
      return it->second.check;
    }
  }

  // Compiled without the lock: a large script must not stall the other threads' deliveries. Two
  // threads may compile the same new file at once; the last one's result stays, which is the same.
  auto compiled = std::make_shared<const SieveFileCheck>(check_sieve_fd(fd.get(), sieve_));
  // A file that vanished or failed to read half-way is not worth remembering.
  if (compiled->read_errno != 0) return compiled;

  const std::lock_guard lock(mutex_);
  ++compilations_;
  if (auto it = entries_.find(name); it != entries_.end()) {
    it->second.key = key;
    it->second.check = compiled;
    recent_.splice(recent_.begin(), recent_, it->second.recent);
    return compiled;
  }
  recent_.push_front(name);
  entries_.emplace(name, Entry{key, compiled, recent_.begin()});
  while (entries_.size() > capacity_) {
    entries_.erase(recent_.back());
    recent_.pop_back();
  }
  return compiled;
}

std::size_t CompiledScriptCache::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

std::uint64_t CompiledScriptCache::compilations() const {
  const std::lock_guard lock(mutex_);
  return compilations_;
}

}  // namespace letterbox
