// End to end, several delivery hosts: a real Postfix routes each recipient to its host with
// transport_maps = ldap: (etc/postfix/main.cf.hosts-transport and ldap-transport.cf), each host a real
// letterbox-lmtpd on a loopback address of its own.
#include <gtest/gtest.h>

#include <regex>

#include "delivery_host.hpp"
#include "postfix.hpp"
#include "slapd.hpp"
#include "test_support.hpp"

using namespace letterbox::test;

namespace {

// The shipped ldap-transport.cf, pointed at the test directory and port.
std::string transport_map(const Slapd& slapd, int port) {
  auto text = read_file(std::filesystem::path(LETTERBOX_SOURCE_DIR) / "etc" / "postfix" / "ldap-transport.cf");
  text = std::regex_replace(text, std::regex("server_host = [^\n]*"), "server_host = " + slapd.uri());
  text = std::regex_replace(text, std::regex("result_format = lmtp:inet:%s:24"),
                            "result_format = lmtp:inet:%s:" + std::to_string(port));
  return text;
}

}  // namespace

TEST(HostsPostfixTest, TransportMapsFromLdapRouteEachUserToItsHost) {
  if (!started_as_root()) GTEST_SKIP() << "Postfix needs root";
  Slapd slapd;
  slapd.add(
      "dn: uid=judy,ou=people,dc=example,dc=org\n"
      "objectClass: inetOrgPerson\nobjectClass: letterboxAccount\n"
      "uid: judy\ncn: Judy\nsn: Two\nmail: judy@example.org\nletterboxHost: 127.0.0.3\n\n"
      "dn: uid=kim,ou=people,dc=example,dc=org\n"
      "objectClass: inetOrgPerson\nobjectClass: letterboxAccount\n"
      "uid: kim\ncn: Kim\nsn: One\nmail: kim@example.org\nletterboxHost: 127.0.0.2\n");
  const int port = free_port();
  DeliveryHost host1("127.0.0.2", port, {&slapd});
  DeliveryHost host2("127.0.0.3", port, {&slapd});
  TempDir maps;
  std::filesystem::permissions(maps.path(), std::filesystem::perms::all);
  const auto map = maps / "ldap-transport.cf";
  write_file(map, transport_map(slapd, port));
  std::filesystem::permissions(map, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                        std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  // Mailboxes without letterboxHost (alice) go to virtual_transport: host 1.
  Postfix postfix(
      {"transport_maps = ldap:" + map.string(), "virtual_transport = lmtp:inet:127.0.0.2:" + std::to_string(port)}, "");
  for (const std::string user : {"alice", "judy", "kim"}) {
    ASSERT_TRUE(
        postfix.submit("sender@client.test", user + "@example.org", test_message("t-" + user)).starts_with("250"));
  }
  const auto sent = [&](const std::string& user, const std::string& host) {
    return postfix.wait_for_log(std::regex("to=<" + user + "@example.org>, relay=" + host + "\\[" + host +
                                           "\\]:" + std::to_string(port) + ".*dsn=2\\.0\\.0, status=sent"));
  };
  EXPECT_NE(sent("alice", "127.0.0.2"), "") << postfix.maillog();
  EXPECT_NE(sent("judy", "127.0.0.3"), "") << postfix.maillog();
  EXPECT_NE(sent("kim", "127.0.0.2"), "") << postfix.maillog();
  EXPECT_EQ(read_mailbox("maildir", host1.maildir("alice")),
            "t-alice\tOK\t<sender@client.test>\talice@example.org\ncount 1\n");
  EXPECT_EQ(read_mailbox("maildir", host2.maildir("judy")),
            "t-judy\tOK\t<sender@client.test>\tjudy@example.org\ncount 1\n");
  EXPECT_EQ(read_mailbox("maildir", host1.maildir("kim")),
            "t-kim\tOK\t<sender@client.test>\tkim@example.org\ncount 1\n");
  EXPECT_FALSE(std::filesystem::exists(host2.maildir("alice")));
  EXPECT_FALSE(std::filesystem::exists(host1.maildir("judy")));
}
