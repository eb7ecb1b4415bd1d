#include "sieve_config_check.hpp"

#include "config_codecs.hpp"
#include "letterbox/config/sieve_script_file.hpp"

namespace letterbox::sieve_config_check {

std::vector<KeyProblem> check_periods(const SieveSettings& sieve) {
  const config_keys::DurationCodec duration;
  const std::string order = ": expected vacation_min_period <= vacation_default_period <= vacation_max_period";
  std::vector<KeyProblem> problems;
  if (sieve.vacation_min_period > sieve.vacation_default_period) {
    problems.push_back({"vacation_min_period", duration.print(sieve.vacation_min_period) +
                                                   " is longer than vacation_default_period (" +
                                                   duration.print(sieve.vacation_default_period) + ")" + order});
  }
  if (sieve.vacation_default_period > sieve.vacation_max_period) {
    problems.push_back({"vacation_max_period", duration.print(sieve.vacation_max_period) +
                                                   " is shorter than vacation_default_period (" +
                                                   duration.print(sieve.vacation_default_period) + ")" + order});
  }
  return problems;
}

std::vector<KeyProblem> check_scripts(const SieveSettings& sieve) {
  std::vector<KeyProblem> problems;
  for (const auto& [key, paths] : {std::pair{"before", &sieve.before}, std::pair{"after", &sieve.after}}) {
    for (const auto& path : *paths) {
      for (auto& line : describe_sieve_file_check(path, check_sieve_file(path, sieve))) {
        problems.push_back({key, std::move(line)});
      }
    }
  }
  return problems;
}

}  // namespace letterbox::sieve_config_check
