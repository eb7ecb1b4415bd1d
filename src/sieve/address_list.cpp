#include "letterbox/sieve/address_list.hpp"

#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

namespace {

// One member of the list with comments removed: its text outside <>, and what was inside <> if any.
struct Member {
  std::string outside;
  std::string angle;
  bool has_angle = false;
};

bool is_atext(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos ||
         static_cast<unsigned char>(c) >= 0x80;  // RFC 6532: UTF-8 in addresses
}

bool needs_quotes(std::string_view local) {
  if (local.empty() || local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return true;
  }
  for (char c : local) {
    if (c != '.' && !is_atext(c)) return true;
  }
  return false;
}

// Splits the value into members at ',' (and at a group's ':' and ';') outside quotes, comments and <>.
// One pass with counters, no recursion: nested comments only raise a depth.
std::vector<Member> split_members(std::string_view value, std::size_t max_items) {
  std::vector<Member> members(1);
  bool quoted = false;
  std::size_t comment_depth = 0;
  bool in_angle = false;
  for (std::size_t i = 0; i < value.size() && members.size() <= max_items; ++i) {
    const char c = value[i];
    Member& m = members.back();
    std::string& out = in_angle ? m.angle : m.outside;
    if (quoted) {
      out += c;
      if (c == '\\' && i + 1 < value.size()) out += value[++i];
      if (c == '"') quoted = false;
    } else if (comment_depth > 0) {
      if (c == '\\') ++i;
      if (c == '(') ++comment_depth;
      if (c == ')') --comment_depth;
    } else if (c == '(') {
      comment_depth = 1;
    } else if (c == '"') {
      quoted = true;
      out += c;
    } else if (c == '<' && !in_angle) {
      in_angle = m.has_angle = true;
      m.angle.clear();
    } else if (c == '>' && in_angle) {
      in_angle = false;
    } else if (!in_angle && (c == ',' || c == ';')) {
      members.emplace_back();
    } else if (!in_angle && c == ':') {
      m = Member{};  // what came before was a group's display name
    } else {
      out += c;
    }
  }
  return members;
}

// addr-spec text to its local part (unquoted, white space outside quotes gone) and domain.
AddressItem parse_addr_spec(std::string_view spec) {
  AddressItem item;
  item.all = std::string(trim_space(spec));
  std::string local;
  std::size_t at = std::string_view::npos;
  bool quoted = false;
  for (std::size_t i = 0; i < spec.size() && at == std::string_view::npos; ++i) {
    const char c = spec[i];
    if (c == '"') {
      quoted = !quoted;
    } else if (quoted && c == '\\' && i + 1 < spec.size()) {
      local += spec[++i];
    } else if (!quoted && c == '@') {
      at = i;
    } else if (quoted || (c != ' ' && c != '\t' && c != '\r' && c != '\n')) {
      local += c;
    }
  }
  if (at == std::string_view::npos) return item;
  std::string domain;
  for (char c : spec.substr(at + 1)) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') domain += c;
  }
  const bool bad_domain = domain.empty() || domain.find_first_of("@\"<>,;:") != std::string::npos;
  if (local.empty() || bad_domain) return item;
  item.valid = true;
  item.localpart = local;
  item.domain = domain;
  item.all = (needs_quotes(local) ? "\"" + local + "\"" : local) + "@" + domain;
  return item;
}

}  // namespace

std::vector<AddressItem> parse_address_list(std::string_view value, std::size_t max_items) {
  std::vector<AddressItem> items;
  for (const Member& m : split_members(value, max_items)) {
    if (items.size() >= max_items) break;
    std::string_view spec = trim_space(m.has_angle ? std::string_view(m.angle) : std::string_view(m.outside));
    if (m.has_angle && !spec.empty() && spec.front() == '@') {
      const std::size_t colon = spec.find(':');  // obsolete route: "@a,@b:" before the address
      spec = colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1);
    }
    if (spec.empty() && !m.has_angle) continue;
    items.push_back(parse_addr_spec(spec));
  }
  return items;
}

namespace {
constexpr std::string_view kAddressParts[] = {"all", "localpart", "domain", "user", "detail"};
}  // namespace

std::optional<AddressPart> find_address_part(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kAddressParts); ++i) {
    if (name == kAddressParts[i]) return static_cast<AddressPart>(i);
  }
  return std::nullopt;
}

std::string_view address_part_name(AddressPart part) {
  return kAddressParts[static_cast<std::size_t>(part)];
}

std::optional<std::string> address_part(const AddressItem& item, AddressPart part, std::string_view separator) {
  if (part == AddressPart::all) return item.all;
  if (!item.valid) return std::nullopt;
  const std::size_t split = separator.empty() ? std::string::npos : item.localpart.find(separator);
  switch (part) {
    case AddressPart::all: return item.all;
    case AddressPart::localpart: return item.localpart;
    case AddressPart::domain: return item.domain;
    case AddressPart::user: return item.localpart.substr(0, split);
    case AddressPart::detail:
      if (split == std::string::npos) return std::nullopt;
      return item.localpart.substr(split + separator.size());
  }
  return std::nullopt;
}

}  // namespace letterbox::sieve
