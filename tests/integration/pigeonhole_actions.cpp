#include "pigeonhole_actions.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <regex>

namespace letterbox::test::sieve_corpus {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool contains_token(std::string_view text, std::string_view token) {
  return lower(text).find(token) != std::string::npos;
}

// The length of the UTF-8 sequence starting at `at`, or 0 when it is not one (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char c = byte(at + i);
    if (c < (i == 1 ? low : 0x80) || c > (i == 1 ? high : 0xBF)) return 0;
  }
  return length;
}

std::string hex_byte(unsigned char c) {
  char buffer[12];
  std::snprintf(buffer, sizeof buffer, "${hex:%02X}", c);
  return buffer;
}

// RFC 3501's system flags in their usual spelling; Pigeonhole prints them in lower case.
std::string flag_spelling(const std::string& flag) {
  static const char* const kSystem[] = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"};
  for (const char* system : kSystem) {
    if (lower(system) == lower(flag)) return system;
  }
  return flag;
}

std::string flag_list(const std::vector<std::string>& flags) {
  std::string out = "[";
  for (std::size_t i = 0; i < flags.size(); ++i) {
    if (i != 0) out += ", ";
    out += quote(flags[i]);
  }
  return out + "]";
}

std::vector<std::string> split_spaces(std::string_view text) {
  std::vector<std::string> words;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find(' ', at), text.size());
    if (end > at) words.emplace_back(text.substr(at, end - at));
    at = end + 1;
  }
  return words;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// One ` * ` entry of a section of the listing, with its `+` side effects.
struct Entry {
  std::string head;
  std::vector<std::string> effects;
  // A vacation entry's `=> key : value` fields and its reason.
  std::vector<std::pair<std::string, std::string>> fields;
  std::string reason;
};

std::vector<Entry> parse_section(std::string_view text) {
  std::vector<Entry> entries;
  std::size_t at = 0;
  const auto next_line = [&]() {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    return line;
  };
  while (at < text.size()) {
    const std::string_view line = next_line();
    if (starts_with(line, " * ")) {
      entries.push_back(Entry{std::string(line.substr(3)), {}, {}, {}});
      if (entries.back().head != "send vacation message:") continue;
      // The fields, then the reason between START MESSAGE and END MESSAGE; handle and reason may hold
      // line breaks of their own.
      Entry& vacation = entries.back();
      static constexpr std::string_view kStart = "\n\nSTART MESSAGE\n";
      static constexpr std::string_view kEnd = "\nEND MESSAGE\n";
      while (at < text.size() && starts_with(text.substr(at), "    => ")) {
        const std::size_t colon = text.find(" : ", at);
        const std::string key = std::string(text.substr(at + 7, colon - at - 7));
        const std::string trimmed = key.substr(0, key.find_last_not_of(' ') + 1);
        const std::size_t value_at = colon + 3;
        if (trimmed == "handle") {
          const std::size_t end = std::min(text.find(kStart, value_at), text.size());
          vacation.fields.emplace_back(trimmed, std::string(text.substr(value_at, end - value_at)));
          at = end + 1;  // at the blank line before START MESSAGE
          break;
        }
        const std::size_t end = std::min(text.find('\n', value_at), text.size());
        vacation.fields.emplace_back(trimmed, std::string(text.substr(value_at, end - value_at)));
        at = end + 1;
      }
      const std::size_t start = text.find(kStart.substr(1), at);
      if (start == std::string_view::npos) continue;
      const std::size_t reason_at = start + kStart.size() - 1;
      const std::size_t end = std::min(text.find(kEnd, reason_at), text.size());
      vacation.reason = std::string(text.substr(reason_at, end - reason_at));
      at = std::min(end + kEnd.size(), text.size());
    } else if (starts_with(line, "        + ") && !entries.empty()) {
      entries.back().effects.emplace_back(line.substr(10));
    }
  }
  return entries;
}

std::optional<std::string> field(const Entry& entry, const std::string& key) {
  for (const auto& [name, value] : entry.fields) {
    if (name == key) return value;
  }
  return std::nullopt;
}

// A store entry as keep or fileinto; nullopt for an entry that is no action of the stable format.
std::optional<std::string> store_action(const Entry& entry) {
  static constexpr std::string_view kStore = "store message in folder: ";
  if (entry.head == "keep") return "keep";
  if (!starts_with(entry.head, kStore)) return std::nullopt;
  const std::string folder = entry.head.substr(kStore.size());
  bool create = false;
  std::vector<std::string> flags;
  for (const auto& effect : entry.effects) {
    if (effect == "create mailbox if it does not exist") create = true;
    if (starts_with(effect, "add IMAP flags:")) {
      for (const auto& flag : split_spaces(effect.substr(15))) flags.push_back(flag_spelling(flag));
    }
  }
  std::string line = folder == "INBOX" && !create ? "keep" : "fileinto";
  if (create) line += " :create";
  if (!flags.empty()) line += " :flags " + flag_list(flags);
  if (line != "keep" && !starts_with(line, "keep ")) line += " " + quote(folder);
  return line;
}

std::string vacation_action(const Entry& entry, const NormaliseContext& context) {
  const long long seconds = std::stoll(field(entry, "seconds").value_or("0"));
  std::string line = "vacation";
  if (contains_token(context.script, ":seconds")) {
    line += " :seconds " + std::to_string(seconds);
  } else {
    line += " :days " + std::to_string(seconds / 86400);
  }
  if (auto subject = field(entry, "subject")) line += " :subject " + quote(*subject);
  if (auto from = field(entry, "from")) line += " :from " + quote(*from);
  if (auto handle = field(entry, "handle")) line += " :handle " + quote(*handle);
  if (contains_token(context.script, ":mime")) line += " :mime";
  return line + " to " + quote(context.sender) + " " + quote(entry.reason);
}

// The first `line N: error: message` of sieve-test's diagnostics: {N, message}; N is "?" when the
// error names no line.
std::pair<std::string, std::string> first_error(const std::string& err) {
  static const std::regex kWithLine(R"(line ([0-9]+): error: ([^\n]*?)\.?\n)");
  static const std::regex kWithout(R"((?:^|\n)(?:[^\n:]*: )?error: ([^\n]*?)\.?\n)");
  std::smatch match;
  if (std::regex_search(err, match, kWithLine)) return {match[1].str(), match[2].str()};
  if (std::regex_search(err, match, kWithout)) return {"?", match[1].str()};
  return {"?", ""};
}

}  // namespace

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_length(text, i);
      if (length == 0) {
        out += hex_byte(c);
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    if (c < 0x20 || c == 0x7F) {
      out += hex_byte(c);
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += static_cast<char>(c);
    }
    ++i;
  }
  return out + "\"";
}

std::vector<std::string> normalise(const Listing& listing, const NormaliseContext& context) {
  if (listing.err.find("failed to compile sieve script") != std::string::npos) {
    const auto [line, message] = first_error(listing.err);
    return {"compile error " + line + ": " + message};
  }
  static constexpr std::string_view kPerformed = "\nPerformed actions:\n\n";
  static constexpr std::string_view kImplicit = "\nImplicit keep:\n\n";
  const std::size_t performed = listing.out.find(kPerformed);
  const std::size_t implicit = listing.out.rfind(kImplicit);
  if (listing.err.find("final result: failed") != std::string::npos || performed == std::string::npos ||
      implicit == std::string::npos || implicit < performed) {
    if (listing.err.find("resolved with successful implicit keep") != std::string::npos) {
      return {"error " + first_error(listing.err).first, "keep"};
    }
    return {"unrecognised sieve-test result, exit " + std::to_string(listing.exit_code)};
  }
  std::vector<std::string> actions;
  const std::string_view out = listing.out;
  const std::size_t performed_at = performed + kPerformed.size();
  for (const Entry& entry : parse_section(out.substr(performed_at, implicit + 1 - performed_at))) {
    if (auto store = store_action(entry)) {
      actions.push_back(*store);
    } else if (starts_with(entry.head, "redirect message to: ")) {
      std::string address = entry.head.substr(21);
      if (address.size() >= 2 && address.front() == '<' && address.back() == '>') {
        address = address.substr(1, address.size() - 2);
      }
      actions.push_back("redirect " + quote(address));
    } else if (starts_with(entry.head, "reject message with reason: ")) {
      actions.push_back("reject " + quote(entry.head.substr(28)));
    } else if (entry.head == "send vacation message:") {
      if (context.vacation_sent) actions.push_back(vacation_action(entry, context));
    } else if (entry.head == "discard" || starts_with(entry.head, "track duplicate") ||
               starts_with(entry.head, "track last duplicate")) {
      // discard only cancels the implicit keep; duplicate tracking is no action of the stable format.
    } else {
      actions.push_back("unrecognised: " + entry.head);
    }
  }
  for (const Entry& entry : parse_section(out.substr(implicit + kImplicit.size()))) {
    if (auto store = store_action(entry)) actions.push_back(*store);
  }
  if (actions.empty()) actions.emplace_back("discard");
  return actions;
}

std::vector<std::string> listed_folders(const std::string& out) {
  std::vector<std::string> folders;
  static constexpr std::string_view kStore = "\n * store message in folder: ";
  for (std::size_t at = out.find(kStore); at != std::string::npos; at = out.find(kStore, at + 1)) {
    const std::size_t from = at + kStore.size();
    const std::string folder = out.substr(from, out.find('\n', from) - from);
    if (folder != "INBOX" && std::find(folders.begin(), folders.end(), folder) == folders.end()) {
      folders.push_back(folder);
    }
  }
  return folders;
}

bool lists_vacation(const std::string& out) {
  return out.find("\n * send vacation message:\n") != std::string::npos;
}

bool vacation_sent(const std::string& execution_log) {
  return execution_log.find("vacation action: sent vacation response") != std::string::npos;
}

std::string comparable(std::string_view line) {
  if (starts_with(line, "error ")) {
    const std::size_t colon = line.find(':');
    return std::string(line.substr(0, colon));
  }
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (starts_with(line.substr(i), "${hex:") && i + 9 <= line.size() && line[i + 8] == '}') {
      const int value = std::stoi(std::string(line.substr(i + 6, 2)), nullptr, 16);
      if (value < 0x20 || value == 0x7F) {
        out += '?';
        i += 8;
        continue;
      }
    }
    out += line[i];
  }
  // `:flags [...]`: the quoted flags, sorted, in lower case.
  const std::size_t flags = out.find(":flags [");
  if (flags == std::string::npos) return out;
  std::vector<std::string> list;
  std::size_t at = flags + 8;
  while (at < out.size() && out[at] != ']') {
    if (out[at] != '"') {
      ++at;
      continue;
    }
    std::string flag = "\"";
    for (++at; at < out.size() && out[at] != '"'; ++at) {
      if (out[at] == '\\') flag += out[at++];
      flag += out[at];
    }
    list.push_back(lower(flag + "\""));
    ++at;
  }
  std::sort(list.begin(), list.end());
  std::string sorted = "[";
  for (std::size_t i = 0; i < list.size(); ++i) sorted += (i == 0 ? "" : ", ") + list[i];
  return out.substr(0, flags + 7) + sorted + out.substr(std::min(at, out.size()));
}

bool same_actions(const std::vector<std::string>& pigeonhole, const std::vector<std::string>& ours) {
  if (pigeonhole.size() != ours.size()) return false;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const std::string theirs = comparable(pigeonhole[i]);
    const std::string mine = comparable(ours[i]);
    if (theirs == "error ?" && starts_with(mine, "error ")) continue;
    if (theirs != mine) return false;
  }
  return true;
}

}  // namespace letterbox::test::sieve_corpus
