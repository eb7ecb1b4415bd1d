// What letterbox-lda does once its command line is read: deliver one message from a file descriptor to one
// recipient, or report what the directory says about an address. Each returns the process exit code
// (sysexits.h) and writes the stderr line that begins with the enhanced status code.
#pragma once

#include <optional>
#include <string>

namespace letterbox {

struct LdaRequest {
  std::string config_file = "/etc/letterbox/letterbox.conf";
  std::optional<std::string> sender;      // -f; absent: the leading From_ line's, else $SENDER, else <>
  std::string recipient;                  // -a ADDRESS, or -d USER
  bool recipient_is_user = false;         // -d: USER@[server] hostname unless USER has an '@'
  std::optional<std::string> folder;      // -m; an empty folder means the inbox
  std::optional<std::string> input_file;  // -p; absent: standard input
};

int run_delivery(const LdaRequest& request);

// --lookup: prints found / unknown / unavailable / ambiguous with the mailbox, format, quota and status.
int run_lookup(const std::string& config_file, const std::string& address_text);

// --forget ADDRESS (or, with nullopt, --forget-all): drops entries from the shared cache ([ldap] cache_file).
int run_forget(const std::string& config_file, const std::optional<std::string>& address_text);

}  // namespace letterbox
