// The interface every directory implements (LDAP, the cache in front of it, fakes in unit tests): an
// address in, a Lookup (mail/lookup.hpp) out. A lookup never throws; an unreachable or confused
// directory is a Lookup of kind Unavailable or Ambiguous, which callers answer with 4xx.
#pragma once

#include <optional>

#include "letterbox/directory/address.hpp"
#include "letterbox/mail/lookup.hpp"

namespace letterbox {

class Directory {
 public:
  virtual ~Directory() = default;
  virtual Lookup lookup(const Address& address) = 0;
  // The answer lookup() would give, if it is at hand without waiting on anything (a fresh cache entry);
  // nullopt otherwise. Lets a network thread answer without a trip to the worker pool.
  virtual std::optional<Lookup> lookup_at_hand(const Address& /*address*/) { return std::nullopt; }
};

}  // namespace letterbox
