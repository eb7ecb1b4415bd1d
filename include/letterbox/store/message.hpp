// One copy of a message as a store writes it: the headers added for this recipient, then the spooled
// message. Everything is LF-terminated.
#pragma once

#include <string_view>

#include "letterbox/store/spool.hpp"

namespace letterbox {

struct Message {
  const Spool& body;
  std::string_view added_headers;  // "Return-Path: <...>\nDelivered-To: ...\n" or empty
  std::string_view sender;         // envelope sender, empty for the null sender

  [[nodiscard]] std::uint64_t size() const { return added_headers.size() + body.size(); }
};

}  // namespace letterbox
