// The outside world of a Sieve run at delivery: the recipient's real folders (mailboxexists), included
// scripts from the user's directory (:personal) and the administrator's [sieve] global_dir (:global),
// both through the compiled-script cache and by names that cannot leave those directories, and the
// user's DuplicateStore for the duplicate test, read only if a script asks.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "letterbox/config/compiled_script_cache.hpp"
#include "letterbox/config/config.hpp"
#include "letterbox/sieve/interpreter.hpp"
#include "letterbox/store/duplicate_store.hpp"
#include "letterbox/store/user_folders.hpp"

namespace letterbox {

class DeliveryScriptHost final : public sieve::ScriptHost {
 public:
  // `sieve_dir`: the user's script directory, confined (nullopt: the user has none). `duplicates`: the
  // user's store, nullopt when there is none (then nothing was ever seen).
  DeliveryScriptHost(const SieveSettings& sieve, CompiledScriptCache& cache, const UserFolders& folders,
                     std::optional<std::filesystem::path> sieve_dir, std::optional<DuplicateStore>& duplicates);

  bool mailbox_exists(std::string_view name) override;
  sieve::IncludeLoad load_include(sieve::IncludeLocation location, std::string_view name) override;
  bool duplicate_seen(std::string_view handle, std::string_view id, std::uint64_t seconds) override;

 private:
  const SieveSettings& sieve_;
  CompiledScriptCache& cache_;
  const UserFolders& folders_;
  std::optional<std::filesystem::path> sieve_dir_;
  std::optional<DuplicateStore>& duplicates_;
  bool duplicates_loaded_ = false;
};

}  // namespace letterbox
