#include "letterbox/sieve/vacation_rules.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "letterbox/sieve/address_list.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox::sieve {
namespace {

// The one address in an envelope address or an address from a header, lower-cased, split into parts.
struct Mailbox {
  std::string localpart;
  std::string domain;
};

std::optional<Mailbox> mailbox_of(const AddressItem& item) {
  if (!item.valid) return std::nullopt;
  return Mailbox{ascii_lower(item.localpart), ascii_lower(item.domain)};
}

std::optional<Mailbox> mailbox_of(std::string_view address) {
  const auto items = parse_address_list(address, 1);
  if (items.empty()) return std::nullopt;
  return mailbox_of(items.front());
}

std::string_view without_detail(std::string_view localpart, std::string_view separator) {
  if (separator.empty()) return localpart;
  const auto at = localpart.find(separator);
  return at == std::string_view::npos ? localpart : localpart.substr(0, at);
}

bool same(const Mailbox& a, const Mailbox& b, std::string_view separator) {
  if (a.domain != b.domain) return false;
  return a.localpart == b.localpart || without_detail(a.localpart, separator) == b.localpart ||
         a.localpart == without_detail(b.localpart, separator);
}

bool is_users(const Mailbox& candidate, const std::vector<Mailbox>& users, std::string_view separator) {
  return std::any_of(users.begin(), users.end(), [&](const Mailbox& u) { return same(candidate, u, separator); });
}

bool is_system_sender(std::string_view localpart) {
  // RFC 5230 §4.6 names owner-*, *-request, MAILER-DAEMON; LISTSERV and majordomo are list servers.
  return localpart == "mailer-daemon" || localpart == "listserv" || localpart == "majordomo" ||
         localpart.starts_with("owner-") || localpart.ends_with("-request");
}

// The first word of a structured value, lower-cased: up to white space, ';', ',' or a comment.
std::string first_word(std::string_view value) {
  const auto start = value.find_first_not_of(" \t");
  if (start == std::string_view::npos) return "";
  value.remove_prefix(start);
  return ascii_lower(value.substr(0, value.find_first_of(" \t;,(")));
}

bool has_list_field(const MessageHeaders& headers) {
  return std::any_of(headers.fields().begin(), headers.fields().end(), [](const HeaderField& f) {
    return f.name.size() > 5 && iequals_ascii(std::string_view(f.name).substr(0, 5), "list-");
  });
}

bool auto_submitted(const MessageHeaders& headers) {
  const auto values = headers.values("Auto-Submitted");
  return std::any_of(values.begin(), values.end(), [](std::string_view v) { return first_word(v) != "no"; });
}

bool bulk_precedence(const MessageHeaders& headers) {
  const auto values = headers.values("Precedence");
  return std::any_of(values.begin(), values.end(), [](std::string_view v) {
    const auto word = first_word(v);
    return word == "bulk" || word == "list" || word == "junk";
  });
}

// A comma-separated list of categories ([MS-OXCMAIL] 2.2.3.2.14).
bool auto_response_suppressed(const MessageHeaders& headers) {
  for (std::string_view value : headers.values("X-Auto-Response-Suppress")) {
    while (!value.empty()) {
      const auto comma = value.find(',');
      const auto word = first_word(value.substr(0, comma));
      if (word == "all" || word == "oof") return true;
      value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    }
  }
  return false;
}

bool addressed(const MessageHeaders& headers, const std::vector<Mailbox>& users, std::string_view separator) {
  static constexpr std::array<std::string_view, 6> kFields{"To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"};
  for (const auto name : kFields) {
    for (const auto value : headers.values(name)) {
      for (const auto& item : parse_address_list(value)) {
        if (const auto m = mailbox_of(item); m && is_users(*m, users, separator)) return true;
      }
    }
  }
  return false;
}

}  // namespace

VacationSuppression vacation_suppression(const MessageHeaders& headers, const VacationParties& parties,
                                         std::string_view separator) {
  if (parties.sender.empty()) return VacationSuppression::null_sender;
  std::vector<Mailbox> users;
  if (auto m = mailbox_of(parties.recipient)) users.push_back(std::move(*m));
  for (const auto& a : parties.addresses) {
    if (auto m = mailbox_of(a)) users.push_back(std::move(*m));
  }
  const auto sender = mailbox_of(parties.sender);
  if (sender && is_users(*sender, users, separator)) return VacationSuppression::own_address;
  const std::string sender_local =
      sender ? sender->localpart : ascii_lower(parties.sender.substr(0, parties.sender.find('@')));
  if (is_system_sender(sender_local)) return VacationSuppression::system_sender;
  if (has_list_field(headers)) return VacationSuppression::mailing_list;
  if (auto_submitted(headers)) return VacationSuppression::auto_submitted;
  if (bulk_precedence(headers)) return VacationSuppression::bulk_precedence;
  if (auto_response_suppressed(headers)) return VacationSuppression::auto_response_suppressed;
  if (!addressed(headers, users, separator)) return VacationSuppression::not_addressed;
  return VacationSuppression::none;
}

std::string_view describe(VacationSuppression why) {
  switch (why) {
    case VacationSuppression::none: return "a reply may be sent";
    case VacationSuppression::null_sender: return "the envelope sender is <>";
    case VacationSuppression::own_address: return "the sender is one of the user's own addresses";
    case VacationSuppression::system_sender: return "the sender is a mailer daemon or a list server";
    case VacationSuppression::mailing_list: return "the message has List-* header fields";
    case VacationSuppression::auto_submitted: return "the message is Auto-Submitted";
    case VacationSuppression::bulk_precedence: return "the message has Precedence bulk, list or junk";
    case VacationSuppression::auto_response_suppressed: return "the message asks for no automatic replies";
    case VacationSuppression::not_addressed: return "none of the user's addresses is in To, Cc or Bcc";
  }
  return "unknown";
}

}  // namespace letterbox::sieve
