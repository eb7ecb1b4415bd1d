#include "letterbox/config/sieve_script_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "letterbox/util/file_io.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {

sieve::CompileOptions sieve_compile_options(const SieveSettings& sieve) {
  sieve::CompileOptions options;
  options.limits.max_script_bytes = sieve.max_script_size;
  return options;
}

SieveFileCheck check_sieve_file(const std::filesystem::path& path, const SieveSettings& sieve) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    SieveFileCheck check;
    check.read_errno = errno;
    return check;
  }
  return check_sieve_fd(fd.get(), sieve);
}

SieveFileCheck check_sieve_fd(int fd, const SieveSettings& sieve) {
  SieveFileCheck check;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    check.read_errno = errno;
    return check;
  }
  // A FIFO or a device would block or never end: only a regular file is a script.
  if (!S_ISREG(st.st_mode)) {
    check.read_errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    return check;
  }
  const auto options = sieve_compile_options(sieve);
  std::string text;
  if (const int err = read_all(fd, options.limits.max_script_bytes, text); err == EFBIG) {
    // The compiler's own words for a script over the limit, without reading all of it first.
    const auto size = std::max<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), sieve.max_script_size + 1);
    check.errors.push_back({{1, 1},
                            "script too large (" + std::to_string(size) + " bytes, at most " +
                                std::to_string(options.limits.max_script_bytes) + ")"});
    return check;
  } else if (err != 0) {
    check.read_errno = err;
    return check;
  }
  auto compiled = sieve::compile(text, options);
  check.errors = std::move(compiled.errors);
  check.script = std::move(compiled.script);
  return check;
}

std::vector<std::string> describe_sieve_file_check(const std::filesystem::path& path, const SieveFileCheck& check) {
  if (check.read_errno != 0) {
    const std::string why = check.read_errno == EINVAL ? "not a regular file" : std::strerror(check.read_errno);
    return {path.string() + ": " + why};
  }
  std::vector<std::string> lines;
  for (const auto& d : check.errors) lines.push_back(sieve::format_diagnostic(path.string(), d));
  return lines;
}

}  // namespace letterbox
