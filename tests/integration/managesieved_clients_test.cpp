// letterbox-managesieved with the clients users really have: sieve-connect (Perl, the command-line client)
// and python3-sievelib (the library of webmail back ends in Python), both from Debian, both over STARTTLS.
// What they store then filters a real LMTP delivery through letterbox-lmtpd.
#include <gtest/gtest.h>

#include "managesieved_fixture.hpp"

using namespace letterbox;
using namespace letterbox::test;

using ManageSievedClientsTest = ManageSievedTest;

TEST_F(ManageSievedClientsTest, SieveConnect) {
  if (run({"sh", "-c", "command -v sieve-connect"}).exit_code != 0) GTEST_SKIP() << "sieve-connect is not installed";
  start();
  start_lmtpd();
  const auto local = tmp_ / "sc.sieve";
  const auto fetched = tmp_ / "fetched.sieve";
  const std::string script =
      "require [\"fileinto\", \"mailbox\"];\nif header :contains \"subject\" \"connect\" {\n"
      "  fileinto :create \"FromConnect\";\n}\n";
  write_file(local, script);
  const auto commands = tmp_ / "commands";
  write_file(commands, "upload " + local.string() + " sc-one\nlist\nactivate sc-one\ndownload sc-one " +
                           fetched.string() + "\nupload " + local.string() + " sc-two\nactivate sc-two\n" +
                           "delete sc-one\nlist\nquit\n");
  const auto r = run({"sieve-connect", "--nosrv", "--server", "127.0.0.1", "--port", std::to_string(port_), "--user",
                      "alice@example.org", "--passwordfd", "0", "--notlsverify", "--noclearauth", "--authmech", "PLAIN",
                      "--exec", commands.string()},
                     "alice-password\n");
  EXPECT_EQ(r.exit_code, 0) << r.output << log();
  EXPECT_NE(r.output.find("sc-one"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(fetched), script) << r.output;
  EXPECT_FALSE(std::filesystem::exists(alice_scripts() / "sc-one.sieve")) << r.output;
  EXPECT_EQ(read_file(alice_scripts() / "active"), "sc-two\n");
  EXPECT_NE(log().find("rip=127.0.0.1 TLS"), std::string::npos) << "logged in over TLS: " << log();
  EXPECT_EQ(deliver_to_alice("from sieve-connect"), "250 2.0.0 <alice@example.org> Delivered");
  EXPECT_EQ(files_in(alice_maildir() / ".FromConnect" / "new"), 1U) << log();
}

TEST_F(ManageSievedClientsTest, PythonSievelib) {
  if (run({"/usr/bin/python3", "-c", "import sievelib"}).exit_code != 0) {
    GTEST_SKIP() << "python3-sievelib is not installed";
  }
  start();
  start_lmtpd();
  const auto r =
      run({"/usr/bin/python3", std::string(LETTERBOX_SOURCE_DIR) + "/tests/integration/managesieve_sievelib.py",
           "127.0.0.1", std::to_string(port_), "alice@example.org", "alice-password"});
  EXPECT_EQ(r.exit_code, 0) << r.output << log();
  EXPECT_NE(r.output.find("list after delete: ok"), std::string::npos) << r.output;
  EXPECT_NE(log().find("rip=127.0.0.1 TLS"), std::string::npos) << "logged in over TLS: " << log();
  EXPECT_EQ(read_file(alice_scripts() / "active"), "lib\n");
  EXPECT_EQ(deliver_to_alice("sievelib report"), "250 2.0.0 <alice@example.org> Delivered");
  EXPECT_EQ(files_in(alice_maildir() / ".FromLib" / "new"), 1U) << log();
}
