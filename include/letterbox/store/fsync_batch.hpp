// FsyncBatch: group commit for the fsyncs of file-system directories (nothing to do with the LDAP
// directory). Every Maildir delivery must fsync new/ after linking its message there; when many
// deliveries to one Maildir finish together, one fsync started after all their links makes all of them
// durable. Each caller either starts a sync or joins the next one to start, never one already under way
// (that one may have begun before the caller's link), so the guarantee is the same as calling fsync
// itself. Each disk flush saved is real on a virtual disk, where flushes are the scarce, rate-limited
// operation. Waiting is one futex sleep on the caller's batch, not a condition variable: a finished
// batch's callers leave without taking the mutex again (util/futex.hpp).
#pragma once

#include <atomic>
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
  // The callers covered by one sync. `state` is also the futex word they sleep on.
  struct Batch {
    static constexpr int kWaiting = 0;
    static constexpr int kLead = 1;  // the sync before it ended: one of its callers is to start this one
    static constexpr int kDone = 2;  // `error` is set
    std::atomic<int> state{kWaiting};
    int error = 0;
    // Under the mutex: callers asleep (or about to be) on `state`. One that wakes to find the batch done
    // leaves without the mutex and is still counted: more than are asleep, never fewer.
    unsigned sleepers = 0;
  };
  struct PathState {              // one file-system directory's syncs
    std::shared_ptr<Batch> open;  // the callers waiting for the next sync
    bool syncing = false;
  };

  // Syncs the path's open batch (the caller's) and hands over: its callers are done, and the next batch,
  // if anyone joined during the sync, gets a leader. Called with `lock` held, returns without it: the
  // sync's result.
  int lead(std::unique_lock<std::mutex>& lock, const std::string& key, const std::filesystem::path& dir, int dir_fd);

  SyncFunction sync_;
  bool default_sync_ = false;  // sync_ is sync_directory(), which an open descriptor can stand in for
  std::mutex mutex_;
  // An entry lives while a batch is open or syncing; a finished batch's callers no longer look at it.
  std::unordered_map<std::string, PathState> paths_;
};

}  // namespace letterbox
