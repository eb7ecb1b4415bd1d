// The address checks a script's strings must pass: redirect's address and vacation's :from, checked by the
// compiler for constant strings and by the interpreter once variables are expanded.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace letterbox::sieve {

// An addr-spec without display name or angle brackets (RFC 5228 §4.2), its local part a dot-atom or a
// quoted string in ASCII (RFC 5322 §3.4.1; no SMTPUTF8 for redirect, as Pigeonhole); the MTA checks the rest.
bool plausible_address(std::string_view text);

// redirect's argument (RFC 5228 §2.4.2.3: `addr-spec / phrase "<" addr-spec ">"`, white space and comments
// allowed where RFC 5322 allows them) as the bare address the MTA is given, its local part unquoted when
// it need not be quoted, as Pigeonhole normalises it; nullopt unless it is one plausible address.
std::optional<std::string> redirect_address(std::string_view text);

// :from may carry a display name (RFC 5230 §4.4): "Name <local@domain>".
bool plausible_mailbox(std::string_view text);

}  // namespace letterbox::sieve
