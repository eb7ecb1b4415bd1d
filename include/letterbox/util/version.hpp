// What `--version` prints, one text for the three programs: the program and its release on the first
// line and, on the second as GNU programs do, the copyright and the licence. The copyright line is the
// one in LICENSE and the licence is the one debian/copyright names (tests/unit/documentation_test.cpp
// holds the three together).
#pragma once

#include <string>
#include <string_view>

namespace letterbox {

inline constexpr std::string_view kCopyright = "Copyright (c) 2026 the Letterbox authors";
inline constexpr std::string_view kLicence = "MIT";
inline constexpr std::string_view kLicenceUrl = "https://opensource.org/license/mit";

// "letterbox-lda 0.1.0\nCopyright (c) 2026 the Letterbox authors. License: MIT <https://...>.\n"
inline std::string version_text(std::string_view program) {
  std::string text(program);
  text.append(" " LETTERBOX_VERSION "\n").append(kCopyright).append(". License: ").append(kLicence);
  text.append(" <").append(kLicenceUrl).append(">.\n");
  return text;
}

}  // namespace letterbox
