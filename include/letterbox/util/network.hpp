// IP addresses and CIDR networks as Postfix hands them over (client_address=192.0.2.1, 2001:db8::1) and
// as an administrator writes them (192.0.2.0/24, ::1, 10.0.0.0/8). An IPv4-mapped IPv6 address
// (::ffff:192.0.2.1) is the IPv4 address it carries, so one client has one network whatever the socket.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace letterbox {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first four

  [[nodiscard]] unsigned bits() const { return v6 ? 128 : 32; }
  [[nodiscard]] std::string to_string() const;
};

std::optional<IpAddress> parse_ip_address(std::string_view text);

struct Network {
  IpAddress base;  // host bits cleared
  unsigned prefix = 0;

  [[nodiscard]] bool contains(const IpAddress& address) const;
  [[nodiscard]] std::string to_string() const;  // "192.0.2.0/24"
};

// "ADDRESS/PREFIX" or a bare address (a host route). nullopt on anything else.
std::optional<Network> parse_network(std::string_view text);

// The network of `address` with `prefix` bits kept: network_of(192.0.2.77, 24) is 192.0.2.0/24.
Network network_of(const IpAddress& address, unsigned prefix);

bool any_contains(const std::vector<Network>& networks, const IpAddress& address);

// A configuration's list of networks (already checked by the configuration loader; anything else is
// skipped).
std::vector<Network> parse_networks(const std::vector<std::string>& texts);

}  // namespace letterbox
