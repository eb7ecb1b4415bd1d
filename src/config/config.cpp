#include "letterbox/config/config.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "config_keys.hpp"
#include "letterbox/util/host_name.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox {
using config_keys::BadValue;
using config_keys::find_key;
using config_keys::Key;
using config_keys::keys;
using config_keys::known_section;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::uint64_t parse_size(std::string_view text) {
  text = trim(text);
  std::uint64_t factor = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K':
      case 'k': factor = 1ULL << 10; break;
      case 'M':
      case 'm': factor = 1ULL << 20; break;
      case 'G':
      case 'g': factor = 1ULL << 30; break;
      default: break;
    }
    if (factor != 1) text.remove_suffix(1);
  }
  const auto n = parse_decimal(text);
  if (!n || *n > std::numeric_limits<std::uint64_t>::max() / factor) {
    throw std::invalid_argument("expected a size such as 4096, 512K, 64M or 2G");
  }
  return *n * factor;
}

Duration parse_duration(std::string_view text) {
  text = trim(text);
  std::int64_t factor = 1000;  // a bare number is seconds, as in Postfix
  if (text.ends_with("ms")) {
    factor = 1;
    text.remove_suffix(2);
  } else if (!text.empty() && std::string_view("smhd").find(text.back()) != std::string_view::npos) {
    switch (text.back()) {
      case 's': factor = 1000; break;
      case 'm': factor = 60'000; break;
      case 'h': factor = 3'600'000; break;
      default: factor = 86'400'000; break;
    }
    text.remove_suffix(1);
  }
  const auto n = parse_decimal(text);
  if (!n || *n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / factor)) {
    throw std::invalid_argument("expected a duration such as 500ms, 10s, 5m, 1h or 2d");
  }
  return Duration(static_cast<std::int64_t>(*n) * factor);
}

Settings default_settings() {
  Settings s;
  for (const auto& k : keys()) k.set(s, k.default_text);
  return s;
}

Settings parse_config(std::string_view text, std::string_view origin) {
  Settings settings = default_settings();
  settings.origin.file = std::string(origin);
  std::string section;
  std::set<std::pair<std::string, std::string>> seen;
  std::size_t line_no = 0;
  const auto fail = [&](const std::string& what) {
    throw ConfigError(std::string(origin) + ":" + std::to_string(line_no) + ": " + what);
  };
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      if (line.back() != ']') fail("malformed section header '" + std::string(line) + "'");
      section = std::string(trim(line.substr(1, line.size() - 2)));
      if (!known_section(section)) fail("unknown section [" + section + "]");
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) fail("expected 'key = value', got '" + std::string(line) + "'");
    const std::string name(trim(line.substr(0, eq)));
    const std::string_view value = trim(line.substr(eq + 1));
    if (section.empty()) fail("key '" + name + "' appears before any [section]");
    const Key* k = find_key(section, name);
    if (k == nullptr) fail("unknown key '" + name + "' in [" + section + "]");
    if (!seen.emplace(section, name).second) fail("key '" + name + "' in [" + section + "] is set twice");
    settings.origin.lines[section + "." + name] = line_no;
    try {
      k->set(settings, value);
    } catch (const BadValue& bad) {
      fail("key '" + name + "' in [" + section + "]: bad value '" + std::string(value) + "': " + bad.reason);
    }
  }
  return settings;
}

Settings load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int err = errno;
    // A missing or forbidden file is the administrator's to fix; running out of descriptors or an I/O
    // error is not a bad configuration, and the LDA must not bounce mail (exit 78) over it.
    if (err == ENOENT || err == EACCES || err == EISDIR || err == ENOTDIR || err == ELOOP || err == 0) {
      throw ConfigError(file.string() + ": cannot read the configuration file: " + std::strerror(err));
    }
    throw std::system_error(err, std::generic_category(), file.string() + ": cannot read the configuration file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::system_error(EIO, std::generic_category(), file.string() + ": read error");
  return parse_config(text.str(), file.string());
}

std::string format_effective_config(const Settings& settings) {
  std::string out;
  std::string_view section;
  for (const auto& k : keys()) {
    if (k.section != section) {
      if (!section.empty()) out += '\n';
      section = k.section;
      out += "[" + std::string(section) + "]\n";
    }
    auto value = k.get(settings);
    if (k.section == "server" && k.name == "hostname" && value.empty()) value = effective_hostname(settings);
    out += std::string(k.name) + " = " + value + "\n";
  }
  return out;
}

std::string ConfigOrigin::describe(std::string_view section, std::string_view key) const {
  const std::string name = "key '" + std::string(key) + "' in [" + std::string(section) + "]";
  const auto line = lines.find(std::string(section) + "." + std::string(key));
  if (line == lines.end()) return file + ": " + name + " (not set: the default)";
  return file + ":" + std::to_string(line->second) + ": " + name;
}

std::string effective_hostname(const Settings& settings) {
  if (!settings.server.hostname.empty()) return settings.server.hostname;
  return system_host_name();
}

}  // namespace letterbox
