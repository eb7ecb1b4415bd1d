#include "letterbox/store/maildir_quota.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>
#include <vector>

#include "letterbox/store/maildir_name.hpp"
#include "letterbox/util/file_io.hpp"
#include "letterbox/util/process_identity.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {
namespace {

template <class Int>
bool parse_int(std::string_view text, Int& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc{} && ptr == end;
}

bool parse_definition(std::string_view line, MaildirSize& size) {
  if (line.empty()) return false;
  while (!line.empty()) {
    const auto comma = line.find(',');
    const auto part = line.substr(0, comma);
    if (part.size() < 2) return false;
    std::uint64_t value = 0;
    if (!parse_int(part.substr(0, part.size() - 1), value)) return false;
    switch (part.back()) {
      case 'S': size.limit_bytes = value; break;
      case 'C': size.limit_count = value; break;
      default: return false;
    }
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return true;
}

// The size of one message file in the directory `dir_fd`: ",S=<n>" in its name (Maildir++), else what
// stat() says.
bool message_size(int dir_fd, const char* name, std::int64_t& size) {
  if (auto from_name = maildir_name_size(name)) {
    size = static_cast<std::int64_t>(*from_name);
    return true;
  }
  struct stat st {};
  if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) return false;
  size = st.st_size;
  return true;
}

// O_NOFOLLOW: a symlink in place of new/ or cur/ is not counted (nor is what it points to). Deliveries
// no longer lstat new/ and cur/ before the quota is checked, so the count must not follow one either.
void count_directory(const std::filesystem::path& dir, MaildirSize& total) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return;
  }
  while (const dirent* entry = ::readdir(d)) {
    const std::string_view name = entry->d_name;
    if (name.empty() || name.front() == '.') continue;
    std::int64_t size = 0;
    if (message_size(fd, entry->d_name, size)) {
      total.used_bytes += size;
      total.used_count += 1;
    }
  }
  ::closedir(d);  // closes fd
}

}  // namespace

std::optional<MaildirSize> parse_maildirsize(std::string_view text) {
  MaildirSize size;
  const auto first_nl = text.find('\n');
  if (first_nl == std::string_view::npos) return std::nullopt;  // a file without a whole first line
  if (!parse_definition(text.substr(0, first_nl), size)) return std::nullopt;
  text.remove_prefix(first_nl + 1);
  while (!text.empty()) {
    const auto nl = text.find('\n');
    if (nl == std::string_view::npos) break;  // a line still being appended: ignore it
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty()) continue;
    const auto space = line.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    auto count_part = line.substr(space + 1);
    while (!count_part.empty() && count_part.front() == ' ') count_part.remove_prefix(1);
    std::int64_t bytes = 0;
    std::int64_t count = 0;
    if (!parse_int(line.substr(0, space), bytes) || !parse_int(count_part, count)) return std::nullopt;
    // Sums past 2^63 are no quota anyone set: a damaged file, rebuilt from the messages on disk.
    if (__builtin_add_overflow(size.used_bytes, bytes, &size.used_bytes) ||
        __builtin_add_overflow(size.used_count, count, &size.used_count)) {
      return std::nullopt;
    }
  }
  return size;
}

MaildirSize count_maildir(const std::filesystem::path& maildir) {
  MaildirSize total;
  count_directory(maildir / "new", total);
  count_directory(maildir / "cur", total);
  DIR* d = ::opendir(maildir.c_str());
  if (d == nullptr) return total;
  std::vector<std::string> folders;
  while (const dirent* entry = ::readdir(d)) {
    const std::string_view name = entry->d_name;
    if (name.size() > 1 && name.front() == '.' && name != "..") folders.emplace_back(name);
  }
  ::closedir(d);
  for (const auto& folder : folders) {
    struct stat st {};
    const auto path = maildir / folder;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    count_directory(path / "new", total);
    count_directory(path / "cur", total);
  }
  return total;
}

MaildirQuota::MaildirQuota(std::filesystem::path maildir, const std::string& quota_file, std::uint64_t limit_bytes)
    : maildir_(std::move(maildir)), file_(maildir_ / quota_file), limit_bytes_(limit_bytes) {}

int MaildirQuota::rebuild(MaildirSize& out) const {
  out = count_maildir(maildir_);
  out.limit_bytes = limit_bytes_;
  out.limit_count = 0;
  const std::string text = std::to_string(limit_bytes_) + "S\n" + std::to_string(out.used_bytes) + " " +
                           std::to_string(out.used_count) + "\n";
  // Written under tmp/ and renamed over the old file, so a reader never sees half of it. tmp/ is opened
  // without following a symlink in its place: deliveries no longer lstat it before the quota is checked.
  UniqueFd tmp_dir(::open((maildir_ / "tmp").c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!tmp_dir) return errno == ENOTDIR ? ELOOP : errno;  // ENOTDIR: a symlink or a file where tmp/ belongs
  const std::string tmp =
      file_.filename().string() + "." + std::to_string(process_id()) + "." + std::to_string(::gettid());
  UniqueFd fd(::openat(tmp_dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return errno;
  if (const int err = write_all(fd.get(), text); err != 0) {
    ::unlinkat(tmp_dir.get(), tmp.c_str(), 0);
    return err;
  }
  if (const int err = fd.close(); err != 0) {
    ::unlinkat(tmp_dir.get(), tmp.c_str(), 0);
    return err;
  }
  if (::renameat(tmp_dir.get(), tmp.c_str(), AT_FDCWD, file_.c_str()) != 0) {
    const int err = errno;
    ::unlinkat(tmp_dir.get(), tmp.c_str(), 0);
    return err;
  }
  return 0;
}

bool MaildirQuota::fits_in(const MaildirSize& size, std::uint64_t message_size) const {
  const auto used = static_cast<std::uint64_t>(std::max<std::int64_t>(size.used_bytes, 0));
  // Written so that no sum can wrap: `message_size` may come from the network (SIZE=).
  return used <= limit_bytes_ && message_size <= limit_bytes_ - used;
}

int MaildirQuota::read_file(std::optional<MaildirSize>& current, bool& stale) const {
  current.reset();
  stale = false;
  UniqueFd fd(::open(file_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return errno == ENOENT ? 0 : errno;
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) <= kMaxFileSize) {
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    const ssize_t n = ::pread(fd.get(), text.data(), text.size(), 0);
    if (n >= 0) {
      text.resize(static_cast<std::size_t>(n));
      current = parse_maildirsize(text);
    }
    stale = std::chrono::system_clock::now() - std::chrono::system_clock::from_time_t(st.st_mtime) > kStaleAfter;
  }
  if (current && (current->limit_bytes != limit_bytes_ || current->limit_count != 0)) current.reset();
  return 0;
}

int MaildirQuota::check(std::uint64_t size, bool& fits) {
  return answer(size, fits, true);
}

int MaildirQuota::peek(std::uint64_t size, bool& fits) const {
  return answer(size, fits, false);
}

int MaildirQuota::answer(std::uint64_t size, bool& fits, bool may_write) const {
  std::optional<MaildirSize> current;
  bool stale = false;
  if (const int err = read_file(current, stale); err != 0) return err;
  if (current && (fits_in(*current, size) || !stale)) {
    fits = fits_in(*current, size);
    return 0;
  }
  MaildirSize counted;
  if (!may_write) {
    counted = count_maildir(maildir_);
  } else if (const int err = rebuild(counted); err != 0) {
    return err;
  }
  fits = fits_in(counted, size);
  return 0;
}

int MaildirQuota::record(std::uint64_t size) {
  UniqueFd fd(::open(file_.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return errno;
  // One write() with O_APPEND: concurrent deliveries append whole lines.
  return write_all(fd.get(), std::to_string(size) + " 1\n");
}

int MaildirQuota::retract(std::uint64_t size) {
  UniqueFd fd(::open(file_.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return errno == ENOENT ? 0 : errno;  // no file: the next check counts what is on disk
  return write_all(fd.get(), "-" + std::to_string(size) + " -1\n");
}

}  // namespace letterbox
