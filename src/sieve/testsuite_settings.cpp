// test_config_set and test_config_unset: the few Pigeonhole settings that are bounds of this engine's run
// (RunLimits). Any other setting has no counterpart here, and the test that needs it fails naming it.
#include <charconv>
#include <optional>

#include "testsuite_state.hpp"

namespace letterbox::sieve {
namespace {

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Pigeonhole's intervals: a number with an optional unit, seconds by default.
std::optional<std::uint64_t> seconds(std::string_view text) {
  std::uint64_t unit = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: unit = 0;
    }
    if (unit != 0) {
      text.remove_suffix(1);
    } else {
      unit = 1;
    }
  }
  const auto value = number(text);
  if (!value) return std::nullopt;
  return *value * unit;
}

}  // namespace

std::optional<std::string> apply_testsuite_setting(RunLimits& limits, std::string_view name,
                                                   std::optional<std::string_view> value) {
  const RunLimits defaults;
  const auto bad = [&] { return "invalid value \"" + std::string(value.value_or("")) + "\" for " + std::string(name); };
  if (name == "sieve_vacation_default_subject" || name == "sieve_vacation_default_subject_template") {
    // Empty is Pigeonhole's built-in default, which this engine's reply follows; anything else is not.
    if (!value || value->empty()) return std::nullopt;
  } else if (name == "sieve_variables_max_variable_size") {
    const auto n = value ? number(*value) : defaults.max_variable_size;
    if (!n) return bad();
    limits.max_variable_size = *n;
    return std::nullopt;
  } else if (name == "sieve_include_max_includes") {
    const auto n = value ? number(*value) : defaults.max_includes;
    if (!n) return bad();
    limits.max_includes = *n;
    return std::nullopt;
  } else if (name == "sieve_include_max_nesting_depth") {
    const auto n = value ? number(*value) : defaults.max_include_depth;
    if (!n) return bad();
    limits.max_include_depth = static_cast<unsigned>(*n);
    return std::nullopt;
  } else if (name == "sieve_max_cpu_time") {
    const auto n =
        value ? seconds(*value) : std::chrono::duration_cast<std::chrono::seconds>(defaults.max_cpu_time).count();
    if (!n) return bad();
    limits.max_cpu_time = std::chrono::seconds(*n);
    return std::nullopt;
  } else {
    std::uint64_t RunLimits::*period = nullptr;
    if (name == "sieve_vacation_min_period") period = &RunLimits::vacation_min_period;
    if (name == "sieve_vacation_max_period") period = &RunLimits::vacation_max_period;
    if (name == "sieve_vacation_default_period") period = &RunLimits::vacation_default_period;
    if (period != nullptr) {
      const auto n = value ? seconds(*value) : defaults.*period;
      if (!n) return bad();
      limits.*period = *n;
      return std::nullopt;
    }
  }
  return "setting \"" + std::string(name) + "\" is not supported";
}

}  // namespace letterbox::sieve
