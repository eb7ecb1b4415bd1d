// FsyncBatch: group commit for the fsyncs of file-system directories (nothing to do with the LDAP
// directory). Every Maildir delivery must fsync new/ after linking its message there; when many
// deliveries to one Maildir finish together, one fsync started after all their links makes all of them
// durable. Each caller either starts a sync or joins the next one to start, never one already under way
// (that one may have begun before the caller's link), so the guarantee is the same as calling fsync
// itself. Each disk flush saved is real on a virtual disk, where flushes are the scarce, rate-limited
// operation.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace letterbox {

class FsyncBatch {
 public:
  using SyncFunction = std::function<int(const std::filesystem::path&)>;

  FsyncBatch();  // syncs with sync_directory()
  explicit FsyncBatch(SyncFunction sync);

  // Returns once an fsync of `dir` that started after this call has finished: 0, or its errno.
  int sync(const std::filesystem::path& dir);
  // The same, for a caller that already has `dir` open (`dir_fd`, not O_PATH): if this caller leads the
  // sync, the default sync fsyncs that descriptor instead of opening `dir` again (an open and a close
  // fewer per delivery). A sync function given to the constructor is still called with the path.
  int sync(const std::filesystem::path& dir, int dir_fd);

 private:
  struct Batch {
    bool done = false;
    int error = 0;
  };
  struct PathState {              // one file-system directory's syncs
    std::shared_ptr<Batch> open;  // the callers waiting for the next sync
    bool syncing = false;
    unsigned users = 0;
    std::condition_variable finished;
  };

  SyncFunction sync_;
  bool default_sync_ = false;  // sync_ is sync_directory(), which an open descriptor can stand in for
  std::mutex mutex_;
  std::unordered_map<std::string, PathState> paths_;
};

}  // namespace letterbox
