// Maildir++ quota through the `maildirsize` file, as Courier, Dovecot and Postfix-based setups share it:
// the first line defines the limit ("<bytes>S", optionally ",<count>C"), every further line is
// "<bytes> <count>" (deltas, possibly negative). The file is rebuilt from the messages on disk when it is
// missing, unreadable, over 5120 bytes, carries another limit than ours, or would refuse a message
// while older than 15 minutes (its deltas may have drifted).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace letterbox {

struct MaildirSize {
  std::uint64_t limit_bytes = 0;  // 0: no byte limit in the file
  std::uint64_t limit_count = 0;  // 0: no message-count limit in the file
  std::int64_t used_bytes = 0;
  std::int64_t used_count = 0;
};

// nullopt when the text is not a valid maildirsize file.
std::optional<MaildirSize> parse_maildirsize(std::string_view text);

// The bytes and messages in a Maildir and its Maildir++ folders (new/ and cur/), sizes taken from the
// ",S=" in a name when present, else from stat().
MaildirSize count_maildir(const std::filesystem::path& maildir);

class MaildirQuota {
 public:
  static constexpr std::uint64_t kMaxFileSize = 5120;
  static constexpr std::chrono::minutes kStaleAfter{15};

  MaildirQuota(std::filesystem::path maildir, const std::string& quota_file, std::uint64_t limit_bytes);

  // Does a message of `size` bytes fit? Rebuilds the file when needed. Returns 0 and sets `fits`, or an
  // errno (the caller answers 4xx: an unreadable quota is never a bounce).
  int check(std::uint64_t size, bool& fits);

  // The same answer as check() for a process that must not write (letterbox-policyd at RCPT time): where
  // check() would rebuild the file, this counts the messages and leaves the file to delivery.
  int peek(std::uint64_t size, bool& fits) const;

  // Records a delivered message ("<size> 1"). Returns 0 or an errno.
  int record(std::uint64_t size);
  // Records that such a message was taken back ("-<size> -1"). Returns 0 or an errno.
  int retract(std::uint64_t size);

 private:
  int rebuild(MaildirSize& out) const;  // writes the file, changes nothing here
  // check() (may_write: rebuilds a file that is missing, stale or wrong) and peek() (only counts).
  int answer(std::uint64_t size, bool& fits, bool may_write) const;
  // The file's contents when they are trustworthy for our limit (nullopt otherwise), and whether the file
  // is old enough that a refusal should be re-counted. Returns 0 or an errno other than ENOENT.
  int read_file(std::optional<MaildirSize>& current, bool& stale) const;
  [[nodiscard]] bool fits_in(const MaildirSize& size, std::uint64_t message_size) const;

  std::filesystem::path maildir_;
  std::filesystem::path file_;
  std::uint64_t limit_bytes_;
};

}  // namespace letterbox
