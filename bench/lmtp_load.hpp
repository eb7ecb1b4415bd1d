// The LMTP load of bench_lmtp and bench_sieve: Postfix's smtp-source against a server on a loopback port,
// the Letterbox configuration both start letterbox-lmtpd with, and the mail they leave behind.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "slapd.hpp"

namespace letterbox::bench {

// One smtp-source process: its sessions, its messages (4 KiB each) and their recipient. `numbered`
// numbers the recipient per message (smtp-source -N: 1u@…, 2u@…); `subject` is the Subject header's
// text (none when empty). `recipients` > 1 gives each message that many (smtp-source -r: Nu@…, …, 2u@…,
// then the address itself); `keep_session` sends every message of a session over one connection
// (smtp-source -d) instead of one connection per message.
struct Stream {
  unsigned sessions = 20;
  unsigned messages = 0;
  std::string recipient;
  bool numbered = false;
  std::string subject;
  unsigned recipients = 1;
  bool keep_session = false;
};

// Messages per second of `streams` sent side by side to 127.0.0.1:`port`, from the start of the first to
// the end of the last; 0 if one failed. Prints the rate and the disk requests per message of the disk
// that holds `root` to stderr.
double drive(int port, const std::vector<Stream>& streams, const std::filesystem::path& root);

// Messages under `root`: Maildir files in new/ and cur/, plus From_ lines of every other regular file
// (an mbox). smtp-source's bodies have no "From " lines of their own.
std::size_t count_messages(const std::filesystem::path& root);

// Empties `root` before a run by moving its contents into `trash` rather than deleting them, then
// syncs. On ext4 without a journal (this machine's disk), a new inode skips every inode deleted in the
// last minute or so, one buffer lookup each: deleting the last run's thousands of files would bill the
// next run, ours or Dovecot's, for them. The trash is deleted after the scenario's last run.
void set_aside(const std::filesystem::path& root, const std::filesystem::path& trash);

// letterbox.conf for a letterbox-lmtpd on 127.0.0.1:`port` that looks recipients up in `slapd`, delivers
// under `mail_root` as nobody and logs warnings to `log`; `extra` is appended (more sections).
std::string letterbox_config(const test::Slapd& slapd, int port, const std::filesystem::path& mail_root,
                             const std::filesystem::path& log, const std::string& extra = "");

// letterbox.conf for a letterbox-policyd on 127.0.0.1:`port` that checks recipients in `slapd` (with the
// quota and status attributes), runs as nobody and logs warnings to `log`; `policy` is appended to the
// [policy] section (greylist settings).
std::string policyd_config(const test::Slapd& slapd, int port, const std::filesystem::path& mail_root,
                           const std::filesystem::path& log, const std::string& policy = "");

// Directory users user<first> … user<last>, whose addresses are Nu@example.org (smtp-source -N and -r
// number recipients this way); user0's is u@example.org (the address itself, which -r names last).
void add_numbered_users(const test::Slapd& slapd, int first, int last);

}  // namespace letterbox::bench
