// The name of a user's script (RFC 5804 §1.6, as ManageSieve and letterbox-sieve take it), checked before
// it becomes a file name NAME.sieve: the RFC's rules, plus what a file name in the user's directory needs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace letterbox::sieve {

// The RFC asks servers to take names of up to 128 characters; a file name holds 255 octets, less ".sieve".
inline constexpr std::size_t kMaxScriptNameCharacters = 128;
inline constexpr std::size_t kMaxScriptNameOctets = 200;

// Empty when `name` may name a script; else why not ("contains '/'", ...). Refused: the empty name,
// malformed UTF-8, control characters (U+0000-001F, U+007F-009F), U+2028 and U+2029 (RFC 5804), '/' and
// a leading '.' (a path, or a hidden file such as the store's temporary ones), and names too long.
std::string script_name_problem(std::string_view name);

}  // namespace letterbox::sieve
