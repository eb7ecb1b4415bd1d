// A mail_root in a temporary directory and a Deliverer over it, for the store integration tests.
#pragma once

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <regex>

#include "letterbox/mail/outcome.hpp"
#include "letterbox/store/deliverer.hpp"
#include "letterbox/store/mailbox_queue.hpp"
#include "letterbox/store/spool.hpp"
#include "test_support.hpp"

namespace letterbox::test {

class StoreTest : public ::testing::Test {
 protected:
  StoreTest() : settings_(test_settings(tmp_.path() / "mail")) {
    std::filesystem::create_directories(tmp_.path() / "mail");
  }

  std::filesystem::path mail_root() const { return settings_.delivery.mail_root; }

  Outcome deliver(const std::string& body, Recipient recipient, const std::string& sender = "sender@example.org") {
    return deliver(spool_of(body), std::move(recipient), sender);
  }

  Spool spool_of(const std::string& body) {
    Spool spool(tmp_.path());
    spool.append(body);
    return spool;
  }

  Outcome deliver(const Spool& spool, Recipient recipient, const std::string& sender = "sender@example.org") {
    MailboxQueue locks(settings_.delivery.max_lock_waiters);
    Deliverer deliverer(settings_, locks);
    return deliverer.deliver(spool, Envelope{sender, "", ""}, recipient);
  }

  static Recipient mbox_recipient(const std::string& path = "example.org/alice.mbox") {
    return Recipient{"alice@example.org", path, MailboxFormat::Mbox, 0, "", "", ""};
  }
  static Recipient maildir_recipient(const std::string& path = "example.org/alice/Maildir",
                                     const std::string& folder = "") {
    return Recipient{"alice@example.org", path, MailboxFormat::Maildir, 0, folder, "", ""};
  }

  // Mounts a tmpfs of `size` bytes as mail_root (root only; the test is skipped otherwise).
  bool mount_tiny_filesystem(const std::string& size) {
    if (!started_as_root()) return false;
    RootScope root;
    if (mount("tmpfs", mail_root().c_str(), "tmpfs", 0, ("size=" + size + ",mode=0755").c_str()) != 0) return false;
    mounted_ = true;
    return chown(mail_root().c_str(), geteuid() == 0 ? 65534 : geteuid(), 65534) == 0;
  }

  ~StoreTest() override {
    if (mounted_) {
      RootScope root;
      umount2(mail_root().c_str(), MNT_DETACH);
    }
  }

  TempDir tmp_;
  Settings settings_;
  bool mounted_ = false;
};

// The reply of a copy delivered to alice, every store test's usual expectation.
inline constexpr const char* kDelivered = "250 2.0.0 <alice@example.org> Delivered";

inline ::testing::AssertionResult is_reply(const Outcome& outcome, const std::string& expected) {
  const auto reply = lmtp_reply(outcome, "alice@example.org");
  if (reply == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "reply \"" << reply << "\" (detail: " << outcome.detail << "), expected \""
                                       << expected << "\"";
}

template <class F>
std::chrono::milliseconds timed(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace letterbox::test
