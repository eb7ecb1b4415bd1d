// MaildirStore: delivers one message into a Maildir (or its Maildir++ folder) the qmail way: a file in
// tmp/, written, fsync'd, linked into new/ under a unique name, then new/ fsync'd. The tmp/ file is an
// unnamed O_TMPFILE one where the filesystem allows (no name in tmp/ to create, remove or leave behind
// after a crash), else a named one that is removed after the link.
// Contract: Delivered only once the new/ name is durable (when [delivery] fsync is on); on failure nothing
// is left in new/ and the tmp/ file is removed; every failure is a 4xx outcome. Deliveries hold a shared
// flock on <maildir>/<lock_file>, so an administrator who holds it exclusively makes them wait (up to
// lock_timeout) and then answer "locked". Maildir needs no exclusion between deliveries, so unlike mbox
// they run concurrently, in this process and across processes.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "letterbox/config/config.hpp"
#include "letterbox/mail/outcome.hpp"
#include "letterbox/store/fsync_batch.hpp"
#include "letterbox/store/maildir_quota.hpp"
#include "letterbox/store/message.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {

class MaildirStore {
 public:
  enum class TmpFiles { Unnamed, Named };  // Named: always the qmail way (the fallback, tested on its own)

  // `new_dir_syncs` coalesces the fsyncs of new/ across concurrent deliveries.
  MaildirStore(const DeliverySettings& delivery, const MaildirSettings& maildir, FsyncBatch& new_dir_syncs,
               TmpFiles tmp_files = TmpFiles::Unnamed);

  // `maildir` is already confined under mail_root. `folder` is the subaddress ("" for the inbox); it
  // selects the Maildir++ folder ".<folder>" when subaddress_folders is on and that folder exists.
  Outcome deliver(const std::filesystem::path& maildir, std::string_view folder, const Message& message,
                  std::uint64_t quota);

  // The directory the message goes to: ".<folder>" if usable, else the inbox.
  std::filesystem::path target_for(const std::filesystem::path& maildir, std::string_view folder) const;

  // One copy of a Sieve delivery: into `target`, the Maildir or an existing Maildir++ folder of it, in
  // new/, or in cur/ with `info` (":2,FS") after the name when the copy carries flags. Besides the
  // Maildir's lock, it honours the folder's own lock file when the folder has one (an administrator
  // holding one folder). `written` is the new file, for take_back() if the recipient's delivery fails.
  Outcome deliver_copy(const std::filesystem::path& maildir, const std::filesystem::path& target, std::string_view info,
                       const Message& message, std::uint64_t quota, std::filesystem::path& written);

  // Removes a copy of `size` bytes that deliver_copy() wrote into `maildir` and makes the removal durable;
  // with a quota, the copy's line in maildirsize is offset. 0 or the errno.
  int take_back(const std::filesystem::path& maildir, const std::filesystem::path& written, std::uint64_t size,
                std::uint64_t quota);

 private:
  // Creates the Maildir (and tmp/, new/, cur/ of it and of `target`) where missing.
  Outcome prepare(const std::filesystem::path& maildir, const std::filesystem::path& target);
  // Opens <maildir>/<lock_file>, running prepare() first only when the Maildir is not there yet.
  Outcome open_lock(const std::filesystem::path& maildir, const std::filesystem::path& target,
                    const std::filesystem::path& lock_path, UniqueFd& lock_fd);
  Outcome check_quota(const std::filesystem::path& maildir, const Message& message, std::uint64_t quota,
                      std::optional<MaildirQuota>& quota_file);
  Outcome write_message(const std::filesystem::path& target, const Message& message, std::string_view info = {},
                        std::filesystem::path* written = nullptr);

  const DeliverySettings& delivery_;
  const MaildirSettings& maildir_;
  FsyncBatch& new_dir_syncs_;
  TmpFiles tmp_files_;
};

}  // namespace letterbox
