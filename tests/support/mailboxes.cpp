#include "mailboxes.hpp"

#include <chrono>
#include <stdexcept>

#include "files.hpp"
#include "processes.hpp"

namespace letterbox::test {

Settings test_settings(const std::filesystem::path& mail_root) {
  Settings s = default_settings();
  s.delivery.mail_root = mail_root.string();
  s.delivery.lock_timeout = std::chrono::milliseconds(1500);
  s.server.hostname = "mx.test";
  s.log.level = LogLevel::Warn;
  return s;
}

std::string test_message(const std::string& id) {
  std::string text =
      "Message-ID: <" + id + ">\nFrom: sender@example.org\nTo: user@example.org\nSubject: test " + id + "\n\n";
  for (int k = 0; k < 12; ++k) text += id + " line " + std::to_string(k) + "\n";
  text += "From " + id + " is quoted in an mbox\n\nend of " + id + "\n";
  return text;
}

std::string read_mailbox(const std::string& format, const std::filesystem::path& path) {
  auto result = run({"/usr/bin/python3", fixture("read_mailbox.py").string(), format, path.string()});
  if (result.exit_code != 0) throw std::runtime_error("read_mailbox.py failed: " + result.output);
  return result.output;
}

}  // namespace letterbox::test
