// A user's Sieve scripts on disk, for letterbox-sieve and ManageSieve (RFC 5804's operations), in the
// user's [sieve] user_dir under mail_root:
//
//   NAME.sieve   one file per script (0600), NAME checked by sieve/script_name.hpp
//   active       which script runs: a regular file holding its NAME and a newline; absent: none
//
// Dovecot marks the active script with a symlink; Letterbox refuses every symlink under mail_root, so
// the mark is a small file replaced atomically instead. Every change is written atomically (temporary
// file, fsync, rename, fsync of the directory) under an exclusive flock on the directory, so that two
// changes cannot cross (a delete against an activate) and delivery, which does not lock, never reads
// half a script. Nothing is followed through a symlink, nothing outside the user's directory is named,
// and nothing is written as root. What the user may not do is a result, never an exception.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "letterbox/config/config.hpp"
#include "letterbox/sieve/diagnostic.hpp"

namespace letterbox {

enum class ScriptStatus {
  Ok,
  BadName,         // the name breaks RFC 5804's rules or the file-name ones
  NoSuchScript,    // RFC 5804's NONEXISTENT
  ScriptIsActive,  // ACTIVE: the active script is not deleted
  AlreadyExists,   // ALREADYEXISTS: a rename onto an existing name
  TooLarge,        // QUOTA/MAXSIZE: over [sieve] max_script_size
  DoesNotCompile,  // `errors` says where and why
  Failed,          // the file system failed us (or we run as root): `detail` says how
};

struct ScriptResult {
  ScriptStatus status = ScriptStatus::Ok;
  std::string detail;                     // for a person: what was refused or failed, naming the script
  std::vector<sieve::Diagnostic> errors;  // DoesNotCompile
  [[nodiscard]] bool ok() const { return status == ScriptStatus::Ok; }
};

struct ScriptEntry {
  std::string name;
  bool active = false;
};

class SieveScriptStore {
 public:
  // `user_dir` is [sieve] user_dir expanded for the user, relative to mail_root (or absolute under it).
  // nullopt, with `why`, when it leaves mail_root or passes through a symlink.
  static std::optional<SieveScriptStore> open(const std::filesystem::path& mail_root, std::string_view user_dir,
                                              const SieveSettings& sieve, std::string& why);

  [[nodiscard]] const std::filesystem::path& directory() const { return dir_; }

  // Every script, sorted by name; a directory not made yet holds none.
  ScriptResult list(std::vector<ScriptEntry>& scripts) const;
  ScriptResult get(std::string_view name, std::string& text) const;
  // The active script's name, nullopt when none is.
  ScriptResult active(std::optional<std::string>& name) const;

  // Would `text` be accepted by put()? (CHECKSCRIPT)
  ScriptResult check(std::string_view text) const;
  // Stores `text` as NAME (replacing a script of that name) when it is small enough and compiles.
  ScriptResult put(std::string_view name, std::string_view text);
  ScriptResult activate(std::string_view name);
  ScriptResult deactivate();
  // Deletes NAME, unless it is the active script (RFC 5804 §2.10).
  ScriptResult remove(std::string_view name);
  // Renames FROM to TO, which must not exist; the active script stays active under its new name.
  ScriptResult rename(std::string_view from, std::string_view to);

 private:
  SieveScriptStore(std::filesystem::path mail_root, std::filesystem::path dir, const SieveSettings& sieve)
      : mail_root_(std::move(mail_root)), dir_(std::move(dir)), sieve_(sieve) {}

  std::filesystem::path mail_root_;
  std::filesystem::path dir_;
  SieveSettings sieve_;
};

}  // namespace letterbox
