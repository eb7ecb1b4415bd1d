#include "letterbox/store/maildir_name.hpp"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <charconv>

#include "letterbox/util/host_name.hpp"
#include "letterbox/util/process_identity.hpp"

namespace letterbox {

std::string maildir_host_part(std::string_view host) {
  std::string out;
  for (char c : host) {
    if (c == '/')
      out += "\\057";
    else if (c == ':')
      out += "\\072";
    else
      out += c;
  }
  return out;
}

std::string maildir_unique_name(std::uint64_t size) {
  static std::atomic<std::uint64_t> sequence{0};
  static const std::string host = maildir_host_part(system_host_name());
  timeval tv{};
  gettimeofday(&tv, nullptr);
  std::string name = std::to_string(tv.tv_sec);
  name += ".M";
  name += std::to_string(tv.tv_usec);
  name += 'P';
  name += std::to_string(process_id());
  name += 'Q';
  name += std::to_string(sequence.fetch_add(1, std::memory_order_relaxed));
  name += '.';
  name += host;
  name += ",S=";
  name += std::to_string(size);
  return name;
}

std::optional<std::uint64_t> maildir_name_size(std::string_view name) {
  const auto marker = name.find(",S=");
  if (marker == std::string_view::npos) return std::nullopt;
  auto digits = name.substr(marker + 3);
  std::uint64_t size = 0;
  const auto* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, size);
  if (ec != std::errc{} || ptr == digits.data()) return std::nullopt;
  if (ptr != end && *ptr != ',' && *ptr != ':') return std::nullopt;
  return size;
}

}  // namespace letterbox
