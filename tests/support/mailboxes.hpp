// The tests' settings and messages, and the independent mailbox reader.
#pragma once

#include <filesystem>
#include <string>

#include "letterbox/config/config.hpp"

namespace letterbox::test {

// A settings object for tests: mail_root under `root`, short lock timeouts.
Settings test_settings(const std::filesystem::path& mail_root);

// The body the tests give message `id`; read_mailbox.py regenerates it to check each message is intact.
std::string test_message(const std::string& id);

// Runs tests/fixtures/read_mailbox.py: one line per message "ID<TAB>OK|BAD<TAB>return-path<TAB>delivered-to",
// then "count N". The reader is Python's mailbox module, not our code.
std::string read_mailbox(const std::string& format, const std::filesystem::path& path);

}  // namespace letterbox::test
