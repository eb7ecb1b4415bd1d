#include "letterbox/sieve/regex.hpp"

#include <re2/re2.h>

namespace letterbox::sieve {

namespace {

constexpr std::int64_t kMaxAutomatonBytes = 4 << 20;

RE2::Options options_for(Comparator c) {
  RE2::Options o;
  o.set_posix_syntax(true);
  o.set_longest_match(true);
  o.set_one_line(true);  // POSIX without REG_NEWLINE: ^ and $ only at the ends of the value...
  o.set_dot_nl(true);    // ...and '.' matches a newline too
  o.set_case_sensitive(c != Comparator::ascii_casemap);
  o.set_log_errors(false);
  o.set_max_mem(kMaxAutomatonBytes);
  return o;
}

}  // namespace

Regex::Regex(std::unique_ptr<re2::RE2> re) : re_(std::move(re)) {}
Regex::~Regex() = default;

std::shared_ptr<const Regex> Regex::compile(std::string_view expression, Comparator c, std::string& why) {
  if (!supports_substring(c)) {
    why = "comparator " + std::string(comparator_name(c)) + " cannot be used with :regex";
    return nullptr;
  }
  auto re = std::make_unique<re2::RE2>(re2::StringPiece(expression.data(), expression.size()), options_for(c));
  if (!re->ok()) {
    why = "invalid regular expression: " + re->error();
    return nullptr;
  }
  return std::shared_ptr<const Regex>(new Regex(std::move(re)));
}

bool Regex::search(std::string_view value, std::vector<std::string>* captures) const {
  const re2::StringPiece text(value.data(), value.size());
  if (captures == nullptr) return re2::RE2::PartialMatch(text, *re_);
  const int groups = re_->NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> found(static_cast<std::size_t>(groups));
  if (!re_->Match(text, 0, text.size(), re2::RE2::UNANCHORED, found.data(), groups)) return false;
  captures->clear();
  for (const auto& piece : found) captures->emplace_back(piece.data() == nullptr ? "" : std::string(piece));
  return true;
}

std::shared_ptr<const Regex> RegexCache::get(std::string_view expression, Comparator c, std::string& why) {
  auto key = std::make_pair(std::string(expression), c);
  {
    const std::lock_guard lock(mutex_);
    if (const auto it = entries_.find(key); it != entries_.end()) return it->second;
  }
  auto compiled = Regex::compile(expression, c, why);  // outside the lock: compiling can take a while
  if (!compiled) return nullptr;
  const std::lock_guard lock(mutex_);
  if (entries_.size() >= capacity_) entries_.clear();
  entries_.emplace(std::move(key), compiled);
  return compiled;
}

}  // namespace letterbox::sieve
