// AuthFailures: failed logins counted per client address, across its connections, so that a client
// which reconnects after each refusal still meets max_auth_failures: past it, each failure closes the
// connection (after auth_failure_delay). An address is forgotten `forget_after` its last failure; a
// successful login does not clear it (one valid account must not reset the count for guessing others).
// Loopback peers are not counted here: a webmail on this host logs every user in from one address. At
// most `max_addresses` are kept, the longest quiet dropped first, so a flood of addresses costs bounded
// memory. Thread-safe: connections on every network thread share one.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace letterbox {

class AuthFailures {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AuthFailures(Clock::duration forget_after = std::chrono::minutes(15), std::size_t max_addresses = 10000)
      : forget_after_(forget_after), max_addresses_(max_addresses) {}

  // Records a failure from `address`; the failures it has now, this one included.
  unsigned failed(const std::string& address, Clock::time_point now);
  [[nodiscard]] unsigned count(const std::string& address, Clock::time_point now) const;

 private:
  struct Entry {
    unsigned failures = 0;
    Clock::time_point last;
  };

  Clock::duration forget_after_;
  std::size_t max_addresses_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace letterbox
