// The tests run unprivileged: Letterbox refuses to deliver as root, and CI runs as root.
#pragma once

#include <filesystem>
#include <string>

namespace letterbox::test {

// When started as root, becomes nobody/nogroup for the rest of the process but keeps root as the saved
// uid, so RootScope can come back for a moment (to mount a tmpfs). Children exec'd later are fully
// unprivileged. Called by the tests' main().
void become_unprivileged();
bool started_as_root();

// Drops the saved root uid for good. LeakSanitizer's exit check attaches to this process's threads, which
// the kernel refuses while the saved uid differs from the real one; main() calls this after the tests.
void give_up_root();

// Root while in scope (only if the process started as root).
class RootScope {
 public:
  RootScope();
  ~RootScope();
  RootScope(const RootScope&) = delete;
  RootScope& operator=(const RootScope&) = delete;
};

// A tmpfs of `size` ("64k") mounted at `where` (made if missing) and owned by the tests' user, for as
// long as the object lives: a small filesystem to fill. Only when the process started as root; throws
// if the mount fails.
class TmpfsMount {
 public:
  TmpfsMount(std::filesystem::path where, const std::string& size);
  ~TmpfsMount();
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

 private:
  std::filesystem::path where_;
};

}  // namespace letterbox::test
