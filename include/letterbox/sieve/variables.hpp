// The variables of RFC 5229: a store of named values (names without regard to ASCII case, bounded in count
// and size) and the expansion of "${name}" and "${N}" in a string at run time.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "letterbox/sieve/match.hpp"

namespace letterbox::sieve {

// The longest prefix of `text` of at most `max_bytes` that does not end inside a UTF-8 character (RFC 5229
// §5: a value cut to an implementation's limit is cut at a character boundary).
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

// RFC 5229 §3: identifier = (ALPHA / "_") *(ALPHA / DIGIT / "_"), at most kMaxIdentifier bytes. The RFC
// asks for at least 32; 64 is Pigeonhole's limit, which scripts moved from Dovecot already respect.
inline constexpr std::size_t kMaxIdentifier = 64;
bool is_variable_name(std::string_view name);

// What may stand between "${" and "}" (RFC 5229 §3): digits (a match variable) or variable names joined
// by "." (a namespace).
bool is_variable_reference(std::string_view name);

class VariableStore {
 public:
  VariableStore(std::size_t max_variables, std::size_t max_value_size)
      : max_variables_(max_variables), max_value_size_(max_value_size) {}

  // False (nothing stored) when `name` is new and the store is full, or not a valid name. A value longer
  // than the limit is truncated at a UTF-8 boundary.
  bool set(std::string_view name, std::string_view value);
  // An unknown variable is "" (RFC 5229 §3), told apart here by nullopt for `string :count` and the like.
  std::optional<std::string_view> get(std::string_view name) const;
  std::size_t size() const { return values_.size(); }
  std::size_t max_value_size() const { return max_value_size_; }
  // For a run whose bounds change half-way (the testsuite's settings); values already stored stay as they are.
  void set_max_value_size(std::size_t size) { max_value_size_ = size; }

 private:
  std::size_t max_variables_;
  std::size_t max_value_size_;
  std::map<std::string, std::string, std::less<>> values_;  // by lower-cased name
};

// Names with a namespace ("envelope.from", "env.x"), resolved by the extension that owns them; nullopt for
// a name it does not know (which expands to "").
using NamespaceLookup = std::function<std::optional<std::string>(std::string_view)>;

// Replaces each "${name}" by the variable's value, each "${N}" (digits, leading zeroes allowed) by match
// variable N, "" when unknown or out of range. A "${" that does not start a valid reference stays as
// written and scanning goes on after it ("${President, ${Company} Inc.}" expands ${Company} only). One pass:
// a value that contains "${x}" is not expanded again. The result stops at `max_size` bytes, at a UTF-8
// boundary.
std::string expand_variables(std::string_view text, const VariableStore& store, const MatchVariables& matches,
                             std::size_t max_size, const NamespaceLookup& namespaces = nullptr);

// The same with names resolved by the caller: include's scripts (RFC 6609 §3.4) see some names in their
// own store and others, the ones they declared global, in the store they share.
using VariableLookup = std::function<std::optional<std::string_view>(std::string_view)>;
std::string expand_variables(std::string_view text, const VariableLookup& variables, const MatchVariables& matches,
                             std::size_t max_size, const NamespaceLookup& namespaces = nullptr);

}  // namespace letterbox::sieve
