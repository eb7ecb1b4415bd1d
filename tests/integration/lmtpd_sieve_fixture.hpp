// The fixture of the Sieve tests of letterbox-lmtpd and letterbox-lda (lmtpd_sieve_test.cpp,
// lmtpd_sieve_outbound_test.cpp): LmtpdTest with [sieve] enabled, the users' script directories, and
// helpers to send a message and read the mailboxes back.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lmtpd_fixture.hpp"

// In a named namespace, as LmtpdTest: both files must see one and the same class.
namespace letterbox::test {

class LmtpdSieveTest : public LmtpdTest {
 protected:
  std::filesystem::path alice_scripts() const { return mail_root() / "example.org" / "alice" / "sieve"; }
  std::filesystem::path bob_mbox() const { return mail_root() / "example.org" / "bob.mbox"; }
  std::filesystem::path bob_folders() const { return mail_root() / "example.org" / "bob.builder" / "mail"; }
  std::filesystem::path admin_dir() const { return tmp_ / "admin"; }

  std::string sieve_config(const std::string& sieve_extra = "") const {
    return config_text() + "[sieve]\nenabled = yes\n" + sieve_extra;
  }
  void start_sieve(const std::string& sieve_extra = "") { start_with(sieve_config(sieve_extra)); }

  // NAME.sieve in `dir`, made the active script, as letterbox-sieve would leave it.
  static void activate(const std::filesystem::path& dir, const std::string& script, const std::string& name = "main") {
    std::filesystem::create_directories(dir);
    write_file(dir / (name + ".sieve.new"), script);
    std::filesystem::rename(dir / (name + ".sieve.new"), dir / (name + ".sieve"));  // a new inode, as the store does
    write_file(dir / "active", name + "\n");
  }

  // One message to each of `recipients` in one transaction: the reply lines, in RCPT order.
  std::vector<std::string> send(const std::string& id, const std::vector<std::string>& recipients) {
    return send_message(test_message(id), recipients);
  }
  std::vector<std::string> send_message(const std::string& message, const std::vector<std::string>& recipients,
                                        const std::string& sender = "sender@client.test") {
    auto c = transaction(sender);
    for (const auto& r : recipients) EXPECT_EQ(c->command("RCPT TO:<" + r + ">"), "250 2.1.5 <" + r + "> OK");
    EXPECT_EQ(c->command("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>");
    c->send(smtp_data(message));
    std::vector<std::string> replies;
    for (std::size_t i = 0; i < recipients.size(); ++i) replies.push_back(c->reply());
    return replies;
  }
  std::string send_to_alice(const std::string& id) { return send(id, {"alice@example.org"}).at(0); }

  static std::vector<std::string> names_in(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    if (!std::filesystem::exists(dir)) return names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
    return names;
  }
  static std::string mailbox_of(const std::string& format, const std::filesystem::path& path) {
    return read_mailbox(format, path);
  }
  std::string log() const { return read_file(tmp_ / "lmtpd.log"); }
  static std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }
};

inline const std::string kDelivered = "250 2.0.0 <alice@example.org> Delivered";

}  // namespace letterbox::test
