#include "letterbox/store/sieve_script_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include "letterbox/config/sieve_script_file.hpp"
#include "letterbox/sieve/compiler.hpp"
#include "letterbox/sieve/script_name.hpp"
#include "letterbox/store/mail_path.hpp"
#include "letterbox/util/file_io.hpp"
#include "letterbox/util/process_identity.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {
namespace {

constexpr std::string_view kSuffix = ".sieve";
constexpr const char* kActiveFile = "active";

std::string file_name(std::string_view name) {
  return std::string(name) + std::string(kSuffix);
}

ScriptResult refused(ScriptStatus status, std::string detail) {
  return {status, std::move(detail), {}};
}

ScriptResult failed(const std::string& what, int err) {
  return refused(ScriptStatus::Failed, what + ": " + std::strerror(err));
}

// read_file_at's EINVAL: there is something else by that name.
ScriptResult failed_read(const std::string& path, int err) {
  if (err == EINVAL) return refused(ScriptStatus::Failed, path + ": not a regular file");
  return failed(path, err);
}

ScriptResult bad_name(std::string_view name) {
  if (auto why = sieve::script_name_problem(name); !why.empty()) {
    return refused(ScriptStatus::BadName, "bad script name '" + std::string(name) + "': " + why);
  }
  return {};
}

ScriptResult no_such_script(std::string_view name) {
  return refused(ScriptStatus::NoSuchScript, "there is no script '" + std::string(name) + "'");
}

// Reads the regular file `name` in `dir`; EINVAL when it is not one, ELOOP for a symlink, EFBIG when over `limit`.
int read_file_at(int dir, const std::string& name, std::size_t limit, std::string& text) {
  UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) return errno;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno;
  if (!S_ISREG(st.st_mode)) return EINVAL;
  return read_all(fd.get(), limit, text);
}

// Replaces `name` in `dir` with `bytes` so that a reader sees either the old file or the whole new one,
// and a crash after this returns keeps the new one.
int write_file_at(int dir, const std::string& name, std::string_view bytes) {
  static std::atomic<unsigned> sequence{0};
  // A leading '.' keeps the temporary file out of every listing: no script name starts with one.
  const std::string temporary = ".tmp." + std::to_string(process_id()) + "." + std::to_string(sequence++) + "." + name;
  UniqueFd fd(::openat(dir, temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return errno;
  int err = write_all(fd.get(), bytes);
  if (err == 0 && ::fsync(fd.get()) != 0) err = errno;
  if (err == 0) err = fd.close();
  if (err == 0 && ::renameat(dir, temporary.c_str(), dir, name.c_str()) != 0) err = errno;
  if (err != 0) {
    (void)::unlinkat(dir, temporary.c_str(), 0);
    return err;
  }
  return ::fsync(dir) == 0 ? 0 : errno;
}

bool is_regular_at(int dir, const std::string& name) {
  struct stat st {};
  return ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

// The user's directory, to read: an invalid descriptor with errno ENOENT when it does not exist yet.
UniqueFd open_directory(const std::filesystem::path& dir) {
  return UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

// The user's directory, made if missing (0700, no symlink on the way), opened and locked exclusively
// for one change; the lock goes with the descriptor.
ScriptResult open_for_change(const std::filesystem::path& mail_root, const std::filesystem::path& path, UniqueFd& dir) {
  // Letterbox writes mail as the delivery user only; a script root wrote could not be replaced by it.
  if (running_as_root()) {
    return refused(ScriptStatus::Failed, "refusing to write " + path.string() + " as root: run as the delivery user");
  }
  if (const int err = make_directories(mail_root, path); err != 0) {
    return failed(path.string() + (err == ELOOP ? " (a symlink or a file where a directory belongs)" : ""), err);
  }
  dir = open_directory(path);
  if (!dir) return failed(path.string(), errno);
  while (::flock(dir.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return failed("locking " + path.string(), errno);
  }
  return {};
}

}  // namespace

std::optional<SieveScriptStore> SieveScriptStore::open(const std::filesystem::path& mail_root,
                                                       std::string_view user_dir, const SieveSettings& sieve,
                                                       std::string& why) {
  auto dir = confine_to_root(mail_root, user_dir, why);
  if (!dir) return std::nullopt;
  return SieveScriptStore(mail_root, std::move(*dir), sieve);
}

ScriptResult SieveScriptStore::active(std::optional<std::string>& name) const {
  name.reset();
  const UniqueFd dir = open_directory(dir_);
  if (!dir) return errno == ENOENT ? ScriptResult{} : failed(dir_.string(), errno);
  std::string text;
  const int err = read_file_at(dir.get(), kActiveFile, sieve::kMaxScriptNameOctets + 1, text);
  if (err == ENOENT) return {};
  const auto path = (dir_ / kActiveFile).string();
  if (err != 0) return failed_read(path, err);
  if (!text.ends_with('\n') || !sieve::script_name_problem(text.substr(0, text.size() - 1)).empty()) {
    return refused(ScriptStatus::Failed, path + ": does not hold a script name and a newline");
  }
  text.pop_back();
  name = std::move(text);
  return {};
}

ScriptResult SieveScriptStore::list(std::vector<ScriptEntry>& scripts) const {
  scripts.clear();
  std::optional<std::string> active_name;
  if (auto r = active(active_name); !r.ok()) return r;
  const UniqueFd dir = open_directory(dir_);
  if (!dir) return errno == ENOENT ? ScriptResult{} : failed(dir_.string(), errno);
  // The stream owns a copy of the descriptor (its deleter closes it); `dir` keeps the original.
  UniqueFd copy(::fcntl(dir.get(), F_DUPFD_CLOEXEC, 0));
  if (!copy) return failed(dir_.string(), errno);
  std::unique_ptr<DIR, int (*)(DIR*)> stream(::fdopendir(copy.get()), ::closedir);
  if (!stream) return failed(dir_.string(), errno);
  (void)copy.release();
  errno = 0;
  while (const dirent* entry = ::readdir(stream.get())) {
    const std::string_view file = entry->d_name;
    if (!file.ends_with(kSuffix)) continue;
    const auto name = file.substr(0, file.size() - kSuffix.size());
    if (!sieve::script_name_problem(name).empty() || !is_regular_at(dir.get(), std::string(file))) continue;
    scripts.push_back({std::string(name), active_name == name});
  }
  if (errno != 0) return failed(dir_.string(), errno);
  std::sort(scripts.begin(), scripts.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return {};
}

ScriptResult SieveScriptStore::get(std::string_view name, std::string& text) const {
  if (auto r = bad_name(name); !r.ok()) return r;
  text.clear();
  const UniqueFd dir = open_directory(dir_);
  if (!dir) return errno == ENOENT ? no_such_script(name) : failed(dir_.string(), errno);
  const int err = read_file_at(dir.get(), file_name(name), sieve_.max_script_size, text);
  if (err == 0) return {};
  if (err == ENOENT) return no_such_script(name);
  if (err == EFBIG) {
    return refused(ScriptStatus::TooLarge, "script '" + std::string(name) + "' is larger than max_script_size (" +
                                               std::to_string(sieve_.max_script_size) + " bytes)");
  }
  return failed_read((dir_ / file_name(name)).string(), err);
}

ScriptResult SieveScriptStore::check(std::string_view text) const {
  if (text.size() > sieve_.max_script_size) {
    return refused(ScriptStatus::TooLarge,
                   "the script is larger than max_script_size (" + std::to_string(sieve_.max_script_size) + " bytes)");
  }
  auto compiled = sieve::compile(text, sieve_compile_options(sieve_));
  if (compiled.ok()) return {};
  ScriptResult result = refused(ScriptStatus::DoesNotCompile, "the script does not compile");
  result.errors = std::move(compiled.errors);
  return result;
}

ScriptResult SieveScriptStore::put(std::string_view name, std::string_view text) {
  if (auto r = bad_name(name); !r.ok()) return r;
  if (auto r = check(text); !r.ok()) return r;
  UniqueFd dir;
  if (auto r = open_for_change(mail_root_, dir_, dir); !r.ok()) return r;
  // A symlink (or anything not a regular file) by that name was not made by us: replacing it would hide
  // what someone put there, so it is refused as GETSCRIPT and SETACTIVE refuse it.
  struct stat st {};
  if (::fstatat(dir.get(), file_name(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
    return refused(ScriptStatus::BadName,
                   "'" + std::string(name) + "' is a symbolic link or not a regular file in the script directory");
  }
  if (const int err = write_file_at(dir.get(), file_name(name), text); err != 0) {
    return failed((dir_ / file_name(name)).string(), err);
  }
  return {};
}

ScriptResult SieveScriptStore::activate(std::string_view name) {
  if (auto r = bad_name(name); !r.ok()) return r;
  UniqueFd dir;
  if (auto r = open_for_change(mail_root_, dir_, dir); !r.ok()) return r;
  if (!is_regular_at(dir.get(), file_name(name))) return no_such_script(name);
  if (const int err = write_file_at(dir.get(), kActiveFile, std::string(name) + "\n"); err != 0) {
    return failed((dir_ / kActiveFile).string(), err);
  }
  return {};
}

ScriptResult SieveScriptStore::deactivate() {
  UniqueFd dir;
  if (auto r = open_for_change(mail_root_, dir_, dir); !r.ok()) return r;
  if (::unlinkat(dir.get(), kActiveFile, 0) != 0) {
    return errno == ENOENT ? ScriptResult{} : failed((dir_ / kActiveFile).string(), errno);
  }
  return ::fsync(dir.get()) == 0 ? ScriptResult{} : failed(dir_.string(), errno);
}

ScriptResult SieveScriptStore::remove(std::string_view name) {
  if (auto r = bad_name(name); !r.ok()) return r;
  UniqueFd dir;
  if (auto r = open_for_change(mail_root_, dir_, dir); !r.ok()) return r;
  std::optional<std::string> active_name;
  if (auto r = active(active_name); !r.ok()) return r;
  if (active_name == name) {
    return refused(ScriptStatus::ScriptIsActive,
                   "script '" + std::string(name) + "' is active: deactivate it or activate another first");
  }
  if (::unlinkat(dir.get(), file_name(name).c_str(), 0) != 0) {
    return errno == ENOENT ? no_such_script(name) : failed((dir_ / file_name(name)).string(), errno);
  }
  return ::fsync(dir.get()) == 0 ? ScriptResult{} : failed(dir_.string(), errno);
}

ScriptResult SieveScriptStore::rename(std::string_view from, std::string_view to) {
  if (auto r = bad_name(from); !r.ok()) return r;
  if (auto r = bad_name(to); !r.ok()) return r;
  UniqueFd dir;
  if (auto r = open_for_change(mail_root_, dir_, dir); !r.ok()) return r;
  if (!is_regular_at(dir.get(), file_name(from))) return no_such_script(from);
  // link() never replaces an existing name, as rename() would: the check and the move are one step.
  if (::linkat(dir.get(), file_name(from).c_str(), dir.get(), file_name(to).c_str(), 0) != 0) {
    if (errno == EEXIST) {
      return refused(ScriptStatus::AlreadyExists, "there is a script '" + std::string(to) + "' already");
    }
    return failed((dir_ / file_name(to)).string(), errno);
  }
  std::optional<std::string> active_name;
  if (auto r = active(active_name); !r.ok()) return r;
  if (active_name == from) {
    if (const int err = write_file_at(dir.get(), kActiveFile, std::string(to) + "\n"); err != 0) {
      return failed((dir_ / kActiveFile).string(), err);
    }
  }
  if (::unlinkat(dir.get(), file_name(from).c_str(), 0) != 0) return failed((dir_ / file_name(from)).string(), errno);
  return ::fsync(dir.get()) == 0 ? ScriptResult{} : failed(dir_.string(), errno);
}

}  // namespace letterbox
