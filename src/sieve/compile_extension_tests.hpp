// The tests that extensions add (envelope, body, date, variables, imap4flags, mailbox, duplicate, ihave,
// environment): their arguments, checked as their RFCs' syntax lines say.
#pragma once

#include "compile_context.hpp"

namespace letterbox::sieve {

bool compile_envelope(Arguments& arguments, Test& test);
bool compile_body(Arguments& arguments, Test& test);
bool compile_date(Arguments& arguments, Test& test);
bool compile_currentdate(Arguments& arguments, Test& test);
bool compile_string(Arguments& arguments, Test& test);
bool compile_hasflag(Arguments& arguments, Test& test);
bool compile_mailboxexists(Arguments& arguments, Test& test);
bool compile_duplicate(Arguments& arguments, Test& test);
bool compile_ihave(Arguments& arguments, Test& test);
bool compile_environment(Arguments& arguments, Test& test);

}  // namespace letterbox::sieve
