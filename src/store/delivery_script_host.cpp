#include "letterbox/store/delivery_script_host.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>

#include "letterbox/sieve/script_name.hpp"
#include "letterbox/util/log.hpp"

namespace letterbox {

DeliveryScriptHost::DeliveryScriptHost(const SieveSettings& sieve, CompiledScriptCache& cache,
                                       const UserFolders& folders, std::optional<std::filesystem::path> sieve_dir,
                                       std::optional<DuplicateStore>& duplicates)
    : sieve_(sieve), cache_(cache), folders_(folders), sieve_dir_(std::move(sieve_dir)), duplicates_(duplicates) {}

bool DeliveryScriptHost::mailbox_exists(std::string_view name) {
  std::string why;
  const auto folder = folders_.locate(name, why);
  return folder && folders_.exists(*folder);
}

sieve::IncludeLoad DeliveryScriptHost::load_include(sieve::IncludeLocation location, std::string_view name) {
  const bool global = location == sieve::IncludeLocation::global;
  std::optional<std::filesystem::path> dir = sieve_dir_;
  if (global) dir = sieve_.global_dir.empty() ? std::nullopt : std::optional{std::filesystem::path(sieve_.global_dir)};
  if (!dir) return sieve::IncludeMissing{};
  // A valid script name has no '/' and is not "." or "..": the file stays in its directory.
  if (const auto problem = sieve::script_name_problem(name); !problem.empty()) {
    return sieve::IncludeFailed{"invalid script name \"" + std::string(name) + "\": " + problem};
  }
  const auto file = *dir / (std::string(name) + ".sieve");
  // The user's files are never followed through a symlink; the administrator's directory may use them.
  const auto check = cache_.get(file, !global);
  if (check->read_errno == ENOENT) return sieve::IncludeMissing{};
  if (!check->ok()) return sieve::IncludeFailed{describe_sieve_file_check(file, *check).front()};
  return check->script;
}

bool DeliveryScriptHost::duplicate_seen(std::string_view handle, std::string_view id, std::uint64_t seconds) {
  if (!duplicates_) return false;
  if (!duplicates_loaded_) {
    duplicates_loaded_ = true;
    const auto load = duplicates_->load();
    if (load.state != DuplicateFileState::Ok) log::warn("sieve: duplicate store: {}", load.detail);
  }
  return duplicates_->seen(DuplicateKind::Duplicate, duplicate_key({handle, id}), std::time(nullptr),
                           static_cast<std::time_t>(seconds));
}

}  // namespace letterbox
