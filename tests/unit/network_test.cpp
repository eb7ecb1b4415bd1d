// Addresses and networks as Postfix sends them and administrators write them.
#include "letterbox/util/network.hpp"

#include <gtest/gtest.h>

using namespace letterbox;

TEST(Network, ParsesAddressesAndNetworks) {
  EXPECT_EQ(parse_network("192.0.2.77/24")->to_string(), "192.0.2.0/24");
  EXPECT_EQ(parse_network("10.1.2.3")->to_string(), "10.1.2.3/32");
  EXPECT_EQ(parse_network("2001:db8:1:2::5/64")->to_string(), "2001:db8:1:2::/64");
  EXPECT_EQ(parse_network("::1")->to_string(), "::1/128");
  for (const char* bad : {"", "192.0.2.0/33", "192.0.2/24", "host.example", "1.2.3.4/", "1.2.3.4/x", "::1/129"}) {
    EXPECT_FALSE(parse_network(bad)) << bad;
  }
}

TEST(Network, AnIpv4MappedAddressIsItsIpv4Address) {
  const auto mapped = parse_ip_address("::ffff:192.0.2.9");
  ASSERT_TRUE(mapped);
  EXPECT_FALSE(mapped->v6);
  EXPECT_EQ(mapped->to_string(), "192.0.2.9");
  EXPECT_TRUE(parse_network("192.0.2.0/24")->contains(*mapped));
}

TEST(Network, Contains) {
  const std::vector<Network> allowed{*parse_network("127.0.0.0/8"), *parse_network("::1")};
  EXPECT_TRUE(any_contains(allowed, *parse_ip_address("127.9.9.9")));
  EXPECT_TRUE(any_contains(allowed, *parse_ip_address("::1")));
  EXPECT_FALSE(any_contains(allowed, *parse_ip_address("128.0.0.1")));
  EXPECT_FALSE(any_contains(allowed, *parse_ip_address("::2")));
  EXPECT_EQ(network_of(*parse_ip_address("2001:db8::1:2:3:4"), 64).to_string(), "2001:db8::/64");
  EXPECT_EQ(network_of(*parse_ip_address("198.51.100.200"), 25).to_string(), "198.51.100.128/25");
}
