// A Sieve script as the configuration allows it: the compiler's limits from [sieve], and a script file
// read and compiled the way delivery will (the administrator's before/after scripts at --check-config,
// `letterbox-sieve check FILE`). It lives here, the lowest layer that knows both the settings and the
// engine; it never writes anything.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "letterbox/config/config.hpp"
#include "letterbox/sieve/compiler.hpp"
#include "letterbox/sieve/diagnostic.hpp"

namespace letterbox {

// The compiler's limits for a script under these settings (max_script_size).
sieve::CompileOptions sieve_compile_options(const SieveSettings& sieve);

struct SieveFileCheck {
  int read_errno = 0;                           // the file could not be read: ENOENT, EACCES, EISDIR, ...
  std::vector<sieve::Diagnostic> errors;        // what the compiler objects to (a script too large is one of them)
  std::shared_ptr<const sieve::Script> script;  // the compiled script when ok()
  [[nodiscard]] bool ok() const { return read_errno == 0 && errors.empty(); }
};

// Reads `path` (a regular file, never more than max_script_size bytes of it) and compiles it.
SieveFileCheck check_sieve_file(const std::filesystem::path& path, const SieveSettings& sieve);
// The same for a file already open (the compiled-script cache stats and reads one descriptor, so that
// what it compiles is the file it keyed).
SieveFileCheck check_sieve_fd(int fd, const SieveSettings& sieve);

// What check_sieve_file found, one line each: "PATH: why" when it could not be read, else
// "PATH:LINE:COLUMN: message" per error.
std::vector<std::string> describe_sieve_file_check(const std::filesystem::path& path, const SieveFileCheck& check);

}  // namespace letterbox
