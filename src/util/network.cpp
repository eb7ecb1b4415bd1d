#include "letterbox/util/network.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace letterbox {
namespace {

constexpr std::array<std::uint8_t, 12> kV4MappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void clear_host_bits(IpAddress& address, unsigned prefix) {
  for (unsigned bit = prefix; bit < address.bits(); ++bit) {
    address.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
  }
}

}  // namespace

std::string IpAddress::to_string() const {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text.data(), text.size()) == nullptr) return "?";
  return text.data();
}

std::optional<IpAddress> parse_ip_address(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);  // inet_pton wants a terminated string
  IpAddress address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) return address;
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1) return std::nullopt;
  if (std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), address.bytes.begin())) {
    std::copy(address.bytes.begin() + 12, address.bytes.end(), address.bytes.begin());
    std::fill(address.bytes.begin() + 4, address.bytes.end(), 0);
    return address;
  }
  address.v6 = true;
  return address;
}

bool Network::contains(const IpAddress& address) const {
  if (address.v6 != base.v6) return false;
  return network_of(address, prefix).base.bytes == base.bytes;
}

std::string Network::to_string() const {
  return base.to_string() + "/" + std::to_string(prefix);
}

std::optional<Network> parse_network(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = parse_ip_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  unsigned prefix = address->bits();
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto* end = digits.data() + digits.size();
    auto [ptr, ec] = std::from_chars(digits.data(), end, prefix);
    if (digits.empty() || ec != std::errc{} || ptr != end || prefix > address->bits()) return std::nullopt;
  }
  return network_of(*address, prefix);
}

Network network_of(const IpAddress& address, unsigned prefix) {
  Network network{address, std::min(prefix, address.bits())};
  clear_host_bits(network.base, network.prefix);
  return network;
}

std::vector<Network> parse_networks(const std::vector<std::string>& texts) {
  std::vector<Network> out;
  for (const auto& text : texts) {
    if (auto network = parse_network(text)) out.push_back(*network);
  }
  return out;
}

bool any_contains(const std::vector<Network>& networks, const IpAddress& address) {
  return std::any_of(networks.begin(), networks.end(), [&](const Network& n) { return n.contains(address); });
}

}  // namespace letterbox
