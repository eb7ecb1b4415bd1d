// Spool: the message as received, held once and read back for every recipient. Line ends are already
// LF (the LMTP session and the LDA convert before appending). Small messages stay in memory; past
// `memory_limit` the whole message moves to an unlinked temporary file, so memory does not grow with
// message size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "letterbox/util/unique_fd.hpp"

namespace letterbox {

class Spool {
 public:
  static constexpr std::size_t kDefaultMemoryLimit = 256 * 1024;

  explicit Spool(std::filesystem::path directory = default_directory(), std::size_t memory_limit = kDefaultMemoryLimit);

  // $TMPDIR if it names a directory, else /tmp. Never throws: a bad TMPDIR must fail a spool write
  // (a 4xx for that message), not the session that creates the spool.
  static std::filesystem::path default_directory();

  // Adds bytes at the end. Throws std::system_error if the temporary file cannot be written.
  void append(std::string_view bytes);

  [[nodiscard]] std::uint64_t size() const { return size_; }
  [[nodiscard]] bool in_memory() const { return !file_.valid(); }
  // Whether append(bytes of `more`) would stay in memory: no file is written, so nothing can block.
  [[nodiscard]] bool fits_in_memory(std::size_t more) const {
    return !file_.valid() && memory_.size() + more <= memory_limit_;
  }

  // Calls `consume` with the message in order, in chunks. `consume` returns 0 to go on or an errno to
  // stop; for_each_chunk returns that errno, a read errno, or 0 when the whole message was passed.
  int for_each_chunk(const std::function<int(std::string_view)>& consume) const;

  // Calls `use` with the whole message as one view, without copying it: the memory itself, or the
  // spool file mapped read-only (nobody else has that unlinked file, so it cannot shrink under the
  // mapping). Returns what `use` returns, or the errno of a failed mapping.
  int with_whole_message(const std::function<int(std::string_view)>& use) const;

 private:
  void spill();

  std::filesystem::path directory_;
  std::size_t memory_limit_;
  std::string memory_;
  UniqueFd file_;
  std::uint64_t size_ = 0;
};

}  // namespace letterbox
