#include "letterbox/sieve/mailbox_name.hpp"

#include "letterbox/sieve/modified_utf7.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox::sieve {

namespace {

constexpr std::size_t kMaxLevelBytes = 255;  // NAME_MAX of the file systems Maildirs live on
constexpr std::size_t kMaxLevels = 16;

std::optional<std::string> join(std::string_view name, std::string_view before, char separator, std::string& why) {
  const auto levels = mailbox_levels(name, why);
  if (!levels) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < levels->size(); ++i) {
    out += i == 0 ? before : std::string_view(&separator, 1);
    out += (*levels)[i];
  }
  return out;
}

}  // namespace

std::optional<std::vector<std::string>> mailbox_levels(std::string_view name, std::string& why) {
  if (name.empty()) {
    why = "empty folder name";
    return std::nullopt;
  }
  if (iequals_ascii(name, "INBOX")) return std::vector<std::string>{};
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      why = "control character in folder name";
      return std::nullopt;
    }
  }
  std::vector<std::string> levels;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find_first_of("/.", start), name.size());
    const std::string_view level = name.substr(start, end - start);
    if (level.empty()) {
      why = "empty level in folder name (a leading, trailing or doubled '/' or '.')";
      return std::nullopt;
    }
    auto encoded = encode_modified_utf7(level);
    if (!encoded) {
      why = "folder name is not valid UTF-8";
      return std::nullopt;
    }
    if (encoded->size() > kMaxLevelBytes || levels.size() == kMaxLevels) {
      why = "folder name too long";
      return std::nullopt;
    }
    levels.push_back(std::move(*encoded));
    start = end + 1;
  }
  return levels;
}

std::optional<std::string> maildir_folder(std::string_view name, std::string& why) {
  return join(name, ".", '.', why);
}

std::optional<std::string> mbox_folder(std::string_view name, std::string& why) {
  return join(name, "", '/', why);
}

}  // namespace letterbox::sieve
