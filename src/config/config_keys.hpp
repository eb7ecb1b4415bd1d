// The declaration of every key of letterbox.conf (config_keys.cpp): its section, name, default, and how
// its text is parsed into Settings and printed back. Private to src/config/: the parser (config.cpp)
// reads it, nothing else.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "letterbox/config/config.hpp"

namespace letterbox::config_keys {

// A value the codec rejects; the message says what was expected. The loader adds file, line and key.
struct BadValue {
  std::string reason;
};

struct Key {
  std::string_view section;
  std::string_view name;
  std::string_view default_text;
  std::function<void(Settings&, std::string_view)> set;
  std::function<std::string(const Settings&)> get;
};

// Every key, in the order the effective configuration is printed.
const std::vector<Key>& keys();
const Key* find_key(std::string_view section, std::string_view name);
bool known_section(std::string_view section);

}  // namespace letterbox::config_keys
