#include "letterbox/store/fsync_batch.hpp"

#include <unistd.h>

#include <cerrno>
#include <utility>

#include "letterbox/util/file_io.hpp"

namespace letterbox {

FsyncBatch::FsyncBatch() : FsyncBatch(sync_directory) {
  default_sync_ = true;
}

FsyncBatch::FsyncBatch(SyncFunction sync) : sync_(std::move(sync)) {}

int FsyncBatch::sync(const std::filesystem::path& dir) {
  return sync(dir, -1);
}

int FsyncBatch::sync(const std::filesystem::path& dir, int dir_fd) {
  std::unique_lock lock(mutex_);
  // unordered_map keeps references to its elements valid across inserts; the entry is erased by its
  // last user only.
  PathState& entry = paths_[dir.string()];
  ++entry.users;
  if (!entry.open) entry.open = std::make_shared<Batch>();
  const auto mine = entry.open;
  while (!mine->done) {
    if (entry.syncing) {
      entry.finished.wait(lock);
      continue;
    }
    // Lead: everyone who joined so far is covered by this sync; later arrivals form the next batch.
    entry.syncing = true;
    const auto batch = std::exchange(entry.open, nullptr);
    lock.unlock();
    int error = 0;
    if (dir_fd >= 0 && default_sync_) {
      // The leader's descriptor names the directory every caller of this batch linked into (each opened
      // `dir` before linking), just as sync_directory() would open it now.
      if (::fsync(dir_fd) != 0) error = errno;
    } else {
      error = sync_(dir);
    }
    lock.lock();
    batch->done = true;
    batch->error = error;
    entry.syncing = false;
    entry.finished.notify_all();
  }
  const int error = mine->error;
  if (--entry.users == 0) paths_.erase(dir.string());
  return error;
}

}  // namespace letterbox
