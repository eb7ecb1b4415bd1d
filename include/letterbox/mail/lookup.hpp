// The directory's answer about one address, as every layer above the directory reads it: the metrics
// count it, the resolver turns it into a Recipient or an Outcome. Plain data; the interface that
// produces it is directory/directory.hpp.
#pragma once

#include <map>
#include <string>
#include <string_view>

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

std::string_view lookup_kind_name(LookupKind kind);
std::string_view lookup_source_name(LookupSource source);  // "directory", "cache", "stale"

}  // namespace letterbox
