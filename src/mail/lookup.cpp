#include "letterbox/mail/lookup.hpp"

namespace letterbox {

std::string_view lookup_kind_name(LookupKind kind) {
  switch (kind) {
    case LookupKind::Found: return "found";
    case LookupKind::Unknown: return "unknown";
    case LookupKind::Ambiguous: return "ambiguous";
    case LookupKind::Unavailable: return "unavailable";
  }
  return "unavailable";
}

std::string_view lookup_source_name(LookupSource source) {
  switch (source) {
    case LookupSource::Directory: return "directory";
    case LookupSource::Cache: return "cache";
    case LookupSource::Stale: return "stale";
  }
  return "directory";
}

}  // namespace letterbox
