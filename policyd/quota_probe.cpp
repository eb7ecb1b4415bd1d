#include "quota_probe.hpp"

#include <sys/stat.h>

#include <cerrno>

#include "letterbox/store/mail_path.hpp"
#include "letterbox/store/maildir_quota.hpp"

namespace letterbox {

std::optional<Outcome> probe_quota(const Settings& settings, const Recipient& recipient, std::uint64_t size) {
  if (recipient.quota == 0) return make_outcome(Status::Delivered);
  std::string why;
  const auto path = confine_to_root(settings.delivery.mail_root, recipient.mailbox, why);
  if (!path) return std::nullopt;
  const auto reply = settings.delivery.quota_full_reply;
  if (recipient.format == MailboxFormat::Maildir) {
    bool fits = true;
    if (MaildirQuota(*path, settings.maildir.quota_file, recipient.quota).peek(size, fits) != 0) return std::nullopt;
    if (fits) return make_outcome(Status::Delivered);
    return make_outcome(Status::MailboxFull,
                        path->string() + " is over its quota of " + std::to_string(recipient.quota) + " bytes", reply);
  }
  // An mbox: its size, as MboxStore counts it (the From_ line and the blank line after the message).
  struct stat st {};
  std::uint64_t used = 0;
  if (::lstat(path->c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    used = static_cast<std::uint64_t>(st.st_size);
  } else if (errno != ENOENT) {
    return std::nullopt;
  }
  constexpr std::uint64_t kFromLineAndBlank = 80;
  const std::uint64_t quota = recipient.quota;
  // No sum that can wrap: `size` is MAIL FROM's SIZE=, from the network.
  if (used <= quota && size <= quota - used && kFromLineAndBlank <= quota - used - size) {
    return make_outcome(Status::Delivered);
  }
  return make_outcome(Status::MailboxFull,
                      path->string() + " holds " + std::to_string(used) + " of " + std::to_string(recipient.quota) +
                          " bytes; the message needs " + std::to_string(size),
                      reply);
}

}  // namespace letterbox
