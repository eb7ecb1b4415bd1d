// The directory's answer about one address, and the interface every directory implements (LDAP, the
// cache in front of it, fakes in unit tests). A lookup never throws; an unreachable or confused
// directory is a Lookup of kind Unavailable or Ambiguous, which callers answer with 4xx.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "letterbox/address.hpp"

namespace letterbox {

enum class LookupKind {
  Found,        // exactly one entry
  Unknown,      // the directory answered: no such entry
  Ambiguous,    // more than one entry: a directory mistake, never a bounce
  Unavailable,  // no answer: down, timed out, busy, bind refused
};

struct DirectoryEntry {
  std::string dn;
  std::map<std::string, std::string> attributes;  // lower-cased attribute name -> first value
};

// Where an answer came from: --lookup shows it, the metrics count it.
enum class LookupSource {
  Directory,
  Cache,
  Stale,  // a cached entry past cache_ttl, served because the directory is unavailable
};

struct Lookup {
  LookupKind kind = LookupKind::Unavailable;
  DirectoryEntry entry;  // when Found
  std::string detail;    // for the log
  bool stale = false;    // a cached entry served while the directory is unavailable
  LookupSource source = LookupSource::Directory;
};

class Directory {
 public:
  virtual ~Directory() = default;
  virtual Lookup lookup(const Address& address) = 0;
  // The answer lookup() would give, if it is at hand without waiting on anything (a fresh cache entry);
  // nullopt otherwise. Lets a network thread answer without a trip to the worker pool.
  virtual std::optional<Lookup> lookup_at_hand(const Address& /*address*/) { return std::nullopt; }
};

std::string_view lookup_kind_name(LookupKind kind);
std::string_view lookup_source_name(LookupSource source);  // "directory", "cache", "stale"

}  // namespace letterbox
