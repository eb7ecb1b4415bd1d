// Deliverer: one copy of a spooled message to one resolved recipient, as an Outcome. The single place
// where both programs turn "this recipient, this message" into a write: it refuses to run as root,
// confines the mailbox path under mail_root, adds the per-copy headers and picks the store.
#pragma once

#include <cstdint>
#include <string>

#include "letterbox/config/config.hpp"
#include "letterbox/mail/outcome.hpp"
#include "letterbox/store/fsync_batch.hpp"
#include "letterbox/store/mailbox_queue.hpp"
#include "letterbox/store/spool.hpp"

namespace letterbox {

struct Envelope {
  std::string sender;         // MAIL FROM without the brackets; empty for the null sender
  std::string received_from;  // "from HELO (HOST [ADDR])" for the Received header; empty: no Received
  std::string id;             // the transaction id, for Received and the logs
  bool tls = false;           // came over STARTTLS: Received says "with LMTPS" (RFC 3848)
};

// What the directory resolved a recipient to.
struct Recipient {
  std::string address;  // the address as replies and Delivered-To name it
  std::string mailbox;  // relative to mail_root, or absolute under it (untrusted until confined)
  MailboxFormat format = MailboxFormat::Maildir;
  std::uint64_t quota = 0;  // bytes; 0 = none
  std::string folder;       // the subaddress, for Maildir++ folders; empty for the inbox
};

class Deliverer {
 public:
  Deliverer(Settings settings, MailboxQueue& mailbox_queue);

  Outcome deliver(const Spool& message, const Envelope& envelope, const Recipient& recipient);

  // The headers added to this copy, per [delivery] add_headers.
  std::string added_headers(const Envelope& envelope, const Recipient& recipient) const;

 private:
  Settings settings_;
  std::string hostname_;
  MailboxQueue& mailbox_queue_;
  FsyncBatch new_dir_syncs_;  // shared by every Maildir delivery made through this Deliverer
};

}  // namespace letterbox
