// Sieve text to a checked Script (RFC 5228 and the extensions in extensions.hpp), or the list of what is
// wrong with it, each with its line and column. The result is what the delivery caches per script file.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "letterbox/sieve/diagnostic.hpp"
#include "letterbox/sieve/limits.hpp"
#include "letterbox/sieve/script.hpp"

namespace letterbox::sieve {

// An extension the engine does not offer to scripts, added by a program for its own compilations
// (testsuite.hpp); null everywhere else, so that delivery refuses its `require`.
class CompilePlugin;

struct CompileOptions {
  CompileLimits limits;
  const CompilePlugin* plugin = nullptr;
};

struct CompileResult {
  std::shared_ptr<const Script> script;  // null when errors is not empty
  std::vector<Diagnostic> errors;
  bool ok() const { return script != nullptr; }
};

CompileResult compile(std::string_view text, const CompileOptions& options = {});

}  // namespace letterbox::sieve
