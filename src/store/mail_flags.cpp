#include "letterbox/store/mail_flags.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <ctime>
#include <optional>
#include <thread>
#include <vector>

#include "letterbox/util/file_io.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/text.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {
namespace {

constexpr std::size_t kMaxKeywords = 26;  // 'a' .. 'z'
constexpr std::size_t kMaxKeywordsFile = 64 * 1024;
constexpr std::time_t kStaleLockSeconds = 120;

// The system flag's letter for `flag`, 0 for a keyword.
char system_flag(std::string_view flag, bool mbox) {
  if (iequals_ascii(flag, "\\Seen")) return 'S';
  if (iequals_ascii(flag, "\\Answered")) return mbox ? 'A' : 'R';
  if (iequals_ascii(flag, "\\Flagged")) return 'F';
  if (iequals_ascii(flag, "\\Deleted")) return mbox ? 'D' : 'T';
  if (iequals_ascii(flag, "\\Draft")) return mbox ? 'T' : 'D';
  return 0;
}

using Keywords = std::array<std::string, kMaxKeywords>;  // by number; "" for a free number

// dovecot-keywords as read: unreadable lines are skipped, as Dovecot does.
Keywords parse_keywords(std::string_view text) {
  Keywords keywords;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const auto space = line.find(' ');
    if (space == std::string_view::npos) continue;
    std::size_t number = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + space, number);
    if (ec != std::errc{} || end != line.data() + space || number >= kMaxKeywords) continue;
    keywords[number] = std::string(line.substr(space + 1));
  }
  return keywords;
}

int read_keywords(const std::filesystem::path& file, Keywords& keywords) {
  const UniqueFd fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return errno == ENOENT ? 0 : errno;
  std::string text;
  if (const int err = read_all(fd.get(), kMaxKeywordsFile, text); err != 0) return err;
  keywords = parse_keywords(text);
  return 0;
}

std::optional<std::size_t> number_of(const Keywords& keywords, std::string_view keyword) {
  for (std::size_t i = 0; i < keywords.size(); ++i) {
    if (!keywords[i].empty() && iequals_ascii(keywords[i], keyword)) return i;
  }
  return std::nullopt;
}

// Adds the keywords that have no number yet, under Dovecot's dotlock: the new contents are written into
// the lock file itself, which is then renamed over dovecot-keywords (what Dovecot's file_dotlock_replace
// does), so a reader sees the old file or the new one.
int add_keywords(const std::filesystem::path& folder, const std::vector<std::string>& wanted, Duration lock_timeout,
                 Keywords& keywords) {
  const auto file = folder / "dovecot-keywords";
  const auto lock = folder / "dovecot-keywords.lock";
  const auto deadline = std::chrono::steady_clock::now() + lock_timeout;
  UniqueFd fd;
  for (;;) {
    fd = UniqueFd(::open(lock.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd) break;
    if (errno != EEXIST) return errno;
    // A lock left by a crashed writer: Dovecot breaks its own after a few minutes too.
    struct stat st {};
    if (::lstat(lock.c_str(), &st) == 0 && std::time(nullptr) - st.st_mtime > kStaleLockSeconds) {
      ::unlink(lock.c_str());
      continue;
    }
    if (std::chrono::steady_clock::now() >= deadline) return EWOULDBLOCK;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int err = read_keywords(file, keywords);  // again: someone may have added some meanwhile
  for (const auto& keyword : wanted) {
    if (err != 0) break;
    if (number_of(keywords, keyword)) continue;
    const auto free = std::find(keywords.begin(), keywords.end(), std::string());
    if (free == keywords.end()) break;
    *free = keyword;
  }
  std::string text;
  for (std::size_t i = 0; i < keywords.size(); ++i) {
    if (!keywords[i].empty()) text += std::to_string(i) + " " + keywords[i] + "\n";
  }
  if (err == 0) err = write_all(fd.get(), text);
  if (err == 0 && ::fsync(fd.get()) != 0) err = errno;
  if (err == 0) err = fd.close();
  if (err == 0 && ::rename(lock.c_str(), file.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(lock.c_str());
    return err;
  }
  return sync_directory(folder);
}

}  // namespace

int maildir_info(const std::filesystem::path& folder, std::span<const std::string> flags, Duration lock_timeout,
                 std::string& info) {
  info.clear();
  if (flags.empty()) return 0;
  std::string letters;
  std::vector<std::string> keyword_names;
  for (const auto& flag : flags) {
    if (const char letter = system_flag(flag, false); letter != 0) {
      letters += letter;
    } else {
      keyword_names.push_back(flag);
    }
  }
  if (!keyword_names.empty()) {
    Keywords keywords;
    if (const int err = read_keywords(folder / "dovecot-keywords", keywords); err != 0) return err;
    const bool all_known =
        std::all_of(keyword_names.begin(), keyword_names.end(), [&](const auto& k) { return number_of(keywords, k); });
    if (!all_known) {
      if (const int err = add_keywords(folder, keyword_names, lock_timeout, keywords); err != 0) return err;
    }
    for (const auto& keyword : keyword_names) {
      if (const auto number = number_of(keywords, keyword)) {
        letters += static_cast<char>('a' + *number);
      } else {
        log::warn("{}: no letter left for keyword '{}' (Maildir has 26): stored without it", folder.string(), keyword);
      }
    }
  }
  std::sort(letters.begin(), letters.end());
  letters.erase(std::unique(letters.begin(), letters.end()), letters.end());
  info = ":2," + letters;
  return 0;
}

std::string mbox_flag_headers(std::span<const std::string> flags) {
  bool seen = false;
  std::string x_status;
  std::string keywords;
  for (const auto& flag : flags) {
    const char letter = system_flag(flag, true);
    if (letter == 'S') {
      seen = true;
    } else if (letter != 0) {
      x_status += letter;
    } else {
      if (!keywords.empty()) keywords += ' ';
      keywords += flag;
    }
  }
  std::string headers;
  if (seen) headers += "Status: RO\n";
  if (!x_status.empty()) headers += "X-Status: " + x_status + "\n";
  if (!keywords.empty()) headers += "X-Keywords: " + keywords + "\n";
  return headers;
}

}  // namespace letterbox
