// Deliverer: one copy of a spooled message to one resolved recipient, as an Outcome. The single place
// where both programs turn "this recipient, this message" into a write: it refuses to run as root,
// confines the mailbox path under mail_root, adds the per-copy headers and picks the store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "letterbox/config/compiled_script_cache.hpp"
#include "letterbox/config/config.hpp"
#include "letterbox/mail/outcome.hpp"
#include "letterbox/store/fsync_batch.hpp"
#include "letterbox/store/mailbox_queue.hpp"
#include "letterbox/store/outbound_sink.hpp"
#include "letterbox/store/sendmail_outbound_sink.hpp"
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
  // With [sieve] enabled, the templates expanded for this address (relative to mail_root, untrusted
  // until confined): the user's scripts and an mbox user's fileinto folders. Empty: none.
  std::string sieve_dir;
  std::string mbox_folders;
};

class SieveDelivery;

class Deliverer {
 public:
  // With [sieve] enabled, every delivery runs the recipient's scripts (sieve_delivery.hpp), compiled
  // once into this Deliverer's cache and shared by every thread that delivers through it. `outbound`
  // receives what scripts ask to send (redirect, vacation); null: a SendmailOutboundSink of [sieve]'s
  // settings, which both programs use.
  Deliverer(Settings settings, MailboxQueue& mailbox_queue, OutboundSink* outbound = nullptr);
  ~Deliverer();
  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;

  Outcome deliver(const Spool& message, const Envelope& envelope, const Recipient& recipient);

  // The headers added to this copy, per [delivery] add_headers.
  std::string added_headers(const Envelope& envelope, const Recipient& recipient) const;

 private:
  Settings settings_;
  std::string hostname_;
  MailboxQueue& mailbox_queue_;
  FsyncBatch new_dir_syncs_;  // shared by every Maildir delivery made through this Deliverer
  // Only with [sieve] enabled; otherwise a delivery takes exactly the path it always took.
  std::unique_ptr<CompiledScriptCache> scripts_;
  std::unique_ptr<SendmailOutboundSink> sendmail_outbound_;
  std::unique_ptr<SieveDelivery> sieve_;
};

}  // namespace letterbox
