// SieveDelivery: one recipient's delivery with [sieve] enabled. It runs the administrator's `before`
// scripts, the user's active script and the `after` scripts (each through the CompiledScriptCache) on the
// message, then performs what they decided, all or nothing for the recipient:
//  - keep and fileinto store copies (RecipientCopies); a folder that is missing without :create, or that
//    cannot be a folder, is logged and its copy goes to the inbox;
//  - reject/ereject answer 550 5.7.1 with the script's reason; discard stores nothing and answers 250;
//  - once every copy is durable, the redirects go to the OutboundSink; one that cannot be sent takes the
//    copies back and is the (4xx) answer. A redirect that would loop, or to an address the sendmail
//    program refuses, is logged and the message kept in the inbox instead;
//  - then the duplicate test's marks are recorded in the user's DuplicateStore and the vacation reply is
//    handed to the sink, which cannot change the answer any more.
// A script that does not compile, exceeds a limit or fails at run time is logged (recipient, script,
// line) and the message is kept in the inbox: a script never turns into a 5xx. The user's active script
// that exists but cannot be read answers a 4xx (retried), never an unfiltered delivery; a missing one is
// no script.
#pragma once

#include <filesystem>
#include <string_view>

#include "letterbox/config/compiled_script_cache.hpp"
#include "letterbox/config/config.hpp"
#include "letterbox/mail/outcome.hpp"
#include "letterbox/store/deliverer.hpp"
#include "letterbox/store/fsync_batch.hpp"
#include "letterbox/store/mailbox_queue.hpp"
#include "letterbox/store/outbound_sink.hpp"
#include "letterbox/store/spool.hpp"

namespace letterbox {

class SieveDelivery {
 public:
  // Everything is shared with the Deliverer that owns this, and used from several threads at once.
  SieveDelivery(const Settings& settings, const std::string& hostname, MailboxQueue& mailbox_queue,
                FsyncBatch& new_dir_syncs, CompiledScriptCache& scripts, OutboundSink& outbound);

  // `mailbox` is the recipient's mailbox, already confined under mail_root; `added_headers` those the
  // Deliverer adds to every copy.
  Outcome deliver(const Spool& message, const Envelope& envelope, const Recipient& recipient,
                  const std::filesystem::path& mailbox, std::string_view added_headers);

 private:
  const Settings& settings_;
  const std::string& hostname_;
  MailboxQueue& mailbox_queue_;
  FsyncBatch& new_dir_syncs_;
  CompiledScriptCache& scripts_;
  OutboundSink& outbound_;
};

}  // namespace letterbox
