// FNV-1a, 64 bits: the stable hash of the files Letterbox keeps (the shared cache, the greylist store),
// whose layout must not change with the compiler or the standard library, as std::hash may.
#pragma once

#include <cstddef>
#include <cstdint>

namespace letterbox {

inline constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;

inline std::uint64_t fnv1a(const void* data, std::size_t size, std::uint64_t hash = kFnvOffset) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace letterbox
