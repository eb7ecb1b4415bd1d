#include "letterbox/store/fsync_batch.hpp"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <utility>

#include "letterbox/util/file_io.hpp"
#include "letterbox/util/futex.hpp"

namespace letterbox {

FsyncBatch::FsyncBatch() : FsyncBatch(sync_directory) {
  default_sync_ = true;
}

FsyncBatch::FsyncBatch(SyncFunction sync) : sync_(std::move(sync)) {}

int FsyncBatch::sync(const std::filesystem::path& dir) {
  return sync(dir, -1);
}

int FsyncBatch::sync(const std::filesystem::path& dir, int dir_fd) {
  const std::string key = dir.string();
  std::unique_lock lock(mutex_);
  PathState& joined = paths_[key];
  if (!joined.open) joined.open = std::make_shared<Batch>();
  const auto mine = joined.open;
  // The state only changes under the mutex: held here, it is either done or it is not.
  while (mine->state.load(std::memory_order_acquire) != Batch::kDone) {
    // Not done, so the path's entry is there: `mine` is still open there, or being synced.
    if (!paths_.at(key).syncing) {
      // Lead: everyone who joined so far is covered by this sync; later arrivals form the next batch.
      // With nothing syncing, the open batch is ours.
      return lead(lock, key, dir, dir_fd);
    }
    const int seen = mine->state.load(std::memory_order_relaxed);
    ++mine->sleepers;
    lock.unlock();
    futex_wait(mine->state, seen);  // returns at once if the state moved on since `seen`
    // Done: the result is ours to read without the mutex, and the batch is nobody else's concern.
    if (mine->state.load(std::memory_order_acquire) == Batch::kDone) return mine->error;
    lock.lock();
    --mine->sleepers;
  }
  return mine->error;
}

int FsyncBatch::lead(std::unique_lock<std::mutex>& lock, const std::string& key, const std::filesystem::path& dir,
                     int dir_fd) {
  PathState& entry = paths_.at(key);
  entry.syncing = true;
  const auto batch = std::exchange(entry.open, nullptr);
  lock.unlock();
  int error = 0;
  if (dir_fd >= 0 && default_sync_) {
    // The leader's descriptor names the directory every caller of this batch linked into (each opened
    // `dir` before linking), just as sync_directory() would open it now.
    if (::fsync(dir_fd) != 0) error = errno;
  } else {
    try {
      error = sync_(dir);
    } catch (...) {
      error = EIO;  // the batch must end, or its callers and every later one would sleep for ever
    }
  }
  lock.lock();
  PathState& after = paths_.at(key);
  after.syncing = false;
  batch->error = error;
  batch->state.store(Batch::kDone, std::memory_order_release);
  const bool wake_batch = batch->sleepers > 0;
  // Callers that joined during our sync sleep until one of them is told to lead the next one.
  const auto next = after.open;
  const bool wake_next = next && next->sleepers > 0;
  if (next) next->state.store(Batch::kLead, std::memory_order_release);
  if (!next) paths_.erase(key);
  lock.unlock();
  if (wake_batch) futex_wake(batch->state, INT_MAX);
  if (wake_next) futex_wake(next->state, 1);
  return error;
}

}  // namespace letterbox
