// The :regex match type (draft-murchison-sieve-regex): an unanchored search of the value for a regular
// expression, with ${0} the matched text and ${1}.. its groups (a group that took no part is "").
//
// The dialect is RE2's POSIX mode (posix_syntax, longest_match, one_line, dot_nl), the closest RE2 comes to
// the POSIX extended expressions the draft names, and it runs in time linear in the value whatever the
// expression (letterbox.conf(5): "regular expressions run in linear time"). Where it differs from
// Pigeonhole (POSIX regcomp with REG_EXTENDED, in newer releases PCRE2):
//   - no back-references (\1): they are what makes matching exponential, so they are refused;
//   - a '\' inside brackets quotes (RE2) instead of being a literal backslash (POSIX): "[\.]" is only '.';
//   - the whole match is leftmost-longest as in POSIX, but the groups follow RE2's rules, which for some
//     ambiguous expressions differ from POSIX's subexpression rules (they agree on "(a|ab)(c|bcd)(d*)");
//   - i;ascii-casemap folds case the Unicode way, so non-ASCII letters fold too;
//   - an expression needing more than 4 MiB of automaton is refused, as an invalid one is.
// i;ascii-numeric cannot be used (no substring operation).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "letterbox/sieve/comparator.hpp"

namespace re2 {
class RE2;
}

namespace letterbox::sieve {

class Regex {
 public:
  // nullptr with `why` set when the expression is invalid, too big, or the comparator has no substrings.
  static std::shared_ptr<const Regex> compile(std::string_view expression, Comparator c, std::string& why);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // With `captures`, on a match replaces its contents by ${0} and every group.
  bool search(std::string_view value, std::vector<std::string>* captures = nullptr) const;

 private:
  explicit Regex(std::unique_ptr<re2::RE2> re);
  std::unique_ptr<re2::RE2> re_;
};

// Expressions compiled once per (expression, comparator) and shared between threads (a compiled script is
// run by many deliveries at once). Holds at most `capacity` entries; past that it forgets them all, which is
// cheap to redo and cannot grow without bound when keys come from variables.
class RegexCache {
 public:
  explicit RegexCache(std::size_t capacity = 256) : capacity_(capacity) {}
  std::shared_ptr<const Regex> get(std::string_view expression, Comparator c, std::string& why);

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::map<std::pair<std::string, Comparator>, std::shared_ptr<const Regex>> entries_;
};

}  // namespace letterbox::sieve
