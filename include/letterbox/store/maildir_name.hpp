// Maildir file names: "<sec>.M<usec>P<pid>Q<seq>.<host>,S=<size>" (docs/mailbox-formats.md). Unique across processes
// (pid), threads and fast deliveries (a process-wide sequence number), and across hosts sharing a
// Maildir over NFS (the host name, with '/' and ':' escaped as Maildir requires).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace letterbox {

std::string maildir_unique_name(std::uint64_t size);

// The ",S=<size>" of a Maildir++ file name, if it has one.
std::optional<std::uint64_t> maildir_name_size(std::string_view name);

// The host name as it may appear in a Maildir file name: '/' -> "\057", ':' -> "\072".
std::string maildir_host_part(std::string_view host);

}  // namespace letterbox
