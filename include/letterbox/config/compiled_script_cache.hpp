// Compiled Sieve scripts, kept between deliveries: "scripts are compiled once and reused until the file
// changes". Each get() opens and stats the file again and reuses the compiled result while the device,
// inode, size and modification time (nanoseconds) are those it was compiled from; SieveScriptStore
// replaces a script by rename, so a change is a new inode even within one clock tick. A script that does
// not compile is cached too, so that a broken script costs one compilation, not one per message, and
// its diagnostics come back on every get(). A file that cannot be read is not cached (it may appear).
// Shared by lmtpd's threads: one mutex, never held while a script compiles. Bounded: least recently
// used out first. It lives in config/, the lowest layer that knows the settings and the compiler.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "letterbox/config/config.hpp"
#include "letterbox/config/sieve_script_file.hpp"

namespace letterbox {

class CompiledScriptCache {
 public:
  static constexpr std::size_t kDefaultCapacity = 1024;

  explicit CompiledScriptCache(SieveSettings sieve, std::size_t capacity = kDefaultCapacity)
      : sieve_(std::move(sieve)), capacity_(capacity == 0 ? 1 : capacity) {}
  CompiledScriptCache(const CompiledScriptCache&) = delete;
  CompiledScriptCache& operator=(const CompiledScriptCache&) = delete;

  // The script at `path`, compiled (script set) or not (errors, or read_errno when unreadable). With
  // `no_follow`, a symlink as the last component is refused (ELOOP), as for a user's scripts.
  std::shared_ptr<const SieveFileCheck> get(const std::filesystem::path& path, bool no_follow = true);

  [[nodiscard]] std::size_t size() const;
  // How many times a file was compiled, for tests and metrics.
  [[nodiscard]] std::uint64_t compilations() const;

 private:
  struct FileKey {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileKey&) const = default;
  };
  struct Entry {
    FileKey key;
    std::shared_ptr<const SieveFileCheck> check;
    std::list<std::string>::iterator recent;  // its place in recent_
  };

  const SieveSettings sieve_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recent_;  // most recently used first
  std::uint64_t compilations_ = 0;
};

}  // namespace letterbox
