#include "letterbox/store/deliverer.hpp"

#include <unistd.h>

#include <array>
#include <ctime>

#include "letterbox/store/mail_path.hpp"
#include "letterbox/store/maildir_store.hpp"
#include "letterbox/store/mbox_store.hpp"
#include "letterbox/store/message.hpp"
#include "letterbox/store/sieve_delivery.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/process_identity.hpp"

namespace letterbox {
namespace {

std::string rfc5322_date(std::time_t when) {
  std::tm tm{};
  localtime_r(&when, &tm);
  std::array<char, 64> buf{};
  if (std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
    return "Thu, 01 Jan 1970 00:00:00 +0000";
  return buf.data();
}

// Header values must not let an envelope address start a new header line.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

}  // namespace

Deliverer::Deliverer(Settings settings, MailboxQueue& mailbox_queue, OutboundSink* outbound)
    : settings_(std::move(settings)), hostname_(effective_hostname(settings_)), mailbox_queue_(mailbox_queue) {
  if (settings_.sieve.enabled) {
    scripts_ = std::make_unique<CompiledScriptCache>(settings_.sieve);
    if (outbound == nullptr) {
      sendmail_outbound_ =
          std::make_unique<SendmailOutboundSink>(settings_.sieve, hostname_, settings_.delivery.recipient_delimiter);
      outbound = sendmail_outbound_.get();
    }
    sieve_ =
        std::make_unique<SieveDelivery>(settings_, hostname_, mailbox_queue_, new_dir_syncs_, *scripts_, *outbound);
  }
}

Deliverer::~Deliverer() = default;

std::string Deliverer::added_headers(const Envelope& envelope, const Recipient& recipient) const {
  const auto& d = settings_.delivery;
  std::string headers;
  if (d.add_return_path) headers += "Return-Path: <" + one_line(envelope.sender) + ">\n";
  if (d.add_delivered_to) headers += "Delivered-To: " + one_line(recipient.address) + "\n";
  if (d.add_received && !envelope.received_from.empty()) {
    headers += "Received: " + one_line(envelope.received_from) + "\n\tby " + hostname_ + " (Letterbox) with " +
               (envelope.tls ? "LMTPS" : "LMTP");
    if (!envelope.id.empty()) headers += " id " + one_line(envelope.id);
    headers += "\n\tfor <" + one_line(recipient.address) + ">; " + rfc5322_date(std::time(nullptr)) + "\n";
  }
  return headers;
}

Outcome Deliverer::deliver(const Spool& message, const Envelope& envelope, const Recipient& recipient) {
  if (running_as_root()) {
    // A root-owned mailbox is one the user cannot read, and a path mistake as root can overwrite anything.
    return make_outcome(Status::LocalError, "refusing to deliver as root");
  }
  std::string why;
  const auto path = confine_to_root(settings_.delivery.mail_root, recipient.mailbox, why);
  if (!path) {
    log::error("mailbox of <{}> refused: {}", recipient.address, why);
    return make_outcome(Status::LocalError, why);
  }
  const std::string headers = added_headers(envelope, recipient);
  if (sieve_) return sieve_->deliver(message, envelope, recipient, *path, headers);
  const Message copy{message, headers, envelope.sender};
  if (recipient.format == MailboxFormat::Mbox) {
    MboxStore store(settings_.delivery, settings_.mbox, mailbox_queue_);
    return store.append(*path, copy, recipient.quota);
  }
  MaildirStore store(settings_.delivery, settings_.maildir, new_dir_syncs_);
  return store.deliver(*path, recipient.folder, copy, recipient.quota);
}

}  // namespace letterbox
