// The example scripts of the RFCs the engine implements (RFC 5228 §2-§9 and each extension's), as the
// RFCs print them (some completed with the require their snippet assumes). Every one must compile; the
// printer's round trip runs over them too.
#pragma once

#include <string_view>
#include <vector>

namespace letterbox::sieve::examples {

struct Example {
  std::string_view name;
  std::string_view text;
};

inline const std::vector<Example>& rfc_examples() {
  static const std::vector<Example> examples = {
      {"rfc5228_2_3_hash_comment", R"(if size :over 100k { # this is a comment
    discard;
}
)"},
      {"rfc5228_2_3_bracket_comment", R"(if size :over 100K { /* this is a comment
    this is still a comment */ discard /* this is a comment
    */ ;
}
)"},
      {"rfc5228_2_4_2_multiline", R"(require "fileinto";
if header :contains "Subject" "secret" {
    fileinto text: # a comment after text:
Secrets
..and dots
.
;
}
)"},
      {"rfc5228_2_4_2_escapes", R"(if header :is "Subject" "a \"quoted\" \\ and \q" { keep; })"},
      {"rfc5228_3_1_if", R"(require "fileinto";
if header :contains "from" "coyote" {
    discard;
} elsif header :contains ["subject"] ["$$$"] {
    discard;
} else {
    fileinto "INBOX";
}
)"},
      {"rfc5228_3_2_require", R"(require ["fileinto", "reject"];
require "envelope";
if envelope :all :is "from" "tim@example.com" { reject "no"; }
)"},
      {"rfc5228_3_3_stop", R"(if true { stop; } keep;)"},
      {"rfc5228_4_1_fileinto", R"(require "fileinto";
if header :contains ["from"] "coyote" {
    fileinto "INBOX.harassment";
}
)"},
      {"rfc5228_4_2_redirect", R"(if exists "x-opt-in" {
    redirect "bart@example.com";
    redirect "homer@example.com";
}
)"},
      {"rfc5228_4_3_keep", R"(if size :under 1M { keep; } else { discard; })"},
      {"rfc5228_4_4_discard", R"(if header :contains ["from"] ["idiot@example.com"] {
    discard;
}
)"},
      {"rfc5228_5_1_address", R"(if address :is :all "from" "tim@example.com" {
    discard;
}
)"},
      {"rfc5228_5_3_anyof", R"(if anyof (false, true) { keep; } if allof (true, true) { keep; })"},
      {"rfc5228_5_5_exists", R"(if exists ["From","Date"] { keep; } if not exists ["From","Date"] { discard; })"},
      {"rfc5228_5_7_header", R"(if header :contains ["To", "Cc"] ["me@example.com", "me00@landru.example.com"] {
    keep;
}
if header :comparator "i;octet" :matches "Subject" "*money*" { discard; }
)"},
      {"rfc5228_5_9_size", R"(if size :over 500K { discard; })"},
      {"rfc5228_9_example", R"(#
# Example Sieve Filter
# Declare any optional features or extension used by the script
#
require ["fileinto"];

#
# Handle messages from known mailing lists
# Move messages from IETF filter discussion list to filter mailbox
#
if header :is "Sender" "owner-ietf-mta-filters@imc.org"
        {
        fileinto "filter";  # move to "filter" mailbox
        }
#
# Keep all messages to or from people in my company
#
elsif address :DOMAIN :is ["From", "To"] "example.com"
        {
        keep;               # keep in "In" mailbox
        }

#
# Try and catch unsolicited email.  If a message is not to me,
# or it contains a subject known to be spam, file it away.
#
elsif anyof (NOT address :all :contains
               ["To", "Cc", "Bcc"] "me@example.com",
             header :matches "subject"
               ["*make*money*fast*", "*university*dipl*mas*"])
        {
        fileinto "spam";   # move to "spam" mailbox
        }
else
        {
        # Move all other (non-company) mail to "personal"
        # mailbox.
        fileinto "personal";
        }
)"},
      {"rfc5228_2_4_2_4_encoded_character", R"(require "encoded-character";
if header :contains "Subject" "$${hex:24 24}" { discard; }
if header :contains "Subject" "${unicode:40}${Unicode: 263a 1F600 }" { keep; }
)"},
      {"rfc5229_set", R"(require "variables";
set "honorific"  "Mr";
set "first_name" "Wile";
set "last_name"  "Coyote";
set "vacation" text:
Dear ${HONORIFIC} ${last_name},
I'm out, please leave a message after the meep.
.
;
)"},
      {"rfc5229_modifiers", R"(require "variables";
set "a" "juMBlEd lETteRS";
set :length "b" "${a}";
set :lower "b" "${a}";
set :upperfirst "b" "${a}";
set :upperfirst :lower "b" "${a}";
set :quotewildcard "b" "Rock*";
)"},
      {"rfc5229_match_variables", R"(require ["fileinto", "variables"];
if header :matches "List-ID" "*<*@*" {
    fileinto "INBOX.lists.${2}"; stop;
}
if header :matches "Subject" "[*] *" {
    fileinto "INBOX.lists.${1}"; stop;
}
if address :matches ["To", "Cc"] ["coyote@**.com",
        "wile@**.com"] {
    fileinto "INBOX.business.${2}"; stop;
} else {
    # no match variables here
}
if anyof (true, address :domain :matches "To" "*.com") {
    stop;
}
)"},
      {"rfc5229_string", R"(require "variables";
set "state" "${state} pending";
if string :matches " ${state} " "* pending *" {
    # the above test always succeeds
    stop;
}
)"},
      {"rfc5230_basic", R"(require "vacation";
if header :contains "subject" "cyrus" {
    vacation "I'm out -- send mail to cyrus-bugs";
} else {
    vacation "I'm out -- call me at +1 304 555 0123";
}
)"},
      {"rfc5230_subject_variables", R"(require ["vacation", "variables"];
if header :matches "subject" "*" {
    vacation :subject "Automatic response to: ${1}"
             "I'm away";
}
)"},
      {"rfc5230_days_addresses", R"(require "vacation";
vacation :days 23 :addresses ["tjs@example.edu",
                              "ts4z@landru.example.edu"]
   "I'm away until October 19.
   If it's an emergency, call 911, I guess." ;
)"},
      {"rfc5230_redirect", R"(require "vacation";
if header :contains "from" "boss@example.edu" {
    redirect "pleeb@isp.example.org";
} else {
    vacation "Sorry, I'm away, I'll read your
message when I get around to it.";
}
)"},
      {"rfc5230_mime", R"(require "vacation";
vacation :mime text:
Content-Type: multipart/alternative; boundary=foo

--foo

I'm at the beach relaxing.  Mmmm, surf...

--foo
Content-Type: text/html; charset=us-ascii

<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.0//EN"
 "http://www.w3.org/TR/REC-html40/strict.dtd">
<HTML><HEAD><TITLE>How to relax</TITLE>
<BASE HREF="http://home.example.com/pictures/"></HEAD>
<BODY><P>I'm at the <A HREF="beach.gif">beach</A> relaxing.
Mmmm, <A HREF="ocean.gif">surf</A>...
</BODY></HTML>

--foo--
.
;
)"},
      {"rfc5230_from_handle", R"(require "vacation";
vacation :days 7 :from "hemberger@example.com" :handle "ham" "I'm away";
vacation :from "Wile E. Coyote <coyote@example.com>" "Beep beep";
)"},
      {"rfc6131_seconds", R"(require ["vacation-seconds"];
vacation :addresses ["tjs@example.edu", "ts4z@landru.example.edu"]
         :seconds 1800
         "I am in a meeting, and do not have access to email.";
)"},
      {"rfc5231_relational", R"(require ["relational", "comparator-i;ascii-numeric", "fileinto"];
if header :value "lt" :comparator "i;ascii-numeric" ["x-priority"] ["3"] {
    fileinto "Priority";
} elsif address :count "gt" :comparator "i;ascii-numeric" ["to"] ["5"] {
    fileinto "Spam";
} elsif address :value "gt" :all :comparator "i;ascii-casemap" ["from"] ["M"] {
    fileinto "From N-Z";
} else {
    fileinto "From A-M";
}
if allof ( address :count "eq" :comparator "i;ascii-numeric" ["to", "cc"] ["1"],
           address :all :comparator "i;ascii-casemap" ["to", "cc"] ["me@foo.example.com"] ) {
    fileinto "Only me";
}
)"},
      {"rfc5232_flags", R"(require ["fileinto", "imap4flags", "variables"];
if size :over 500K {
    setflag "\\Deleted";
}
if header :contains "from" "boss@frobnitzm.example.edu" {
    setflag "flagvar" "\\Flagged";
    fileinto :flags "${flagvar}" "INBOX.From Boss";
}
if header :contains "Disposition-Notification-To" "mel@example.com" {
    addflag "flagvar" "$MDNRequired";
}
if header :contains "from" "imap@cac.washington.example.edu" {
    removeflag "flagvar" "$MDNRequired";
    fileinto :flags "${flagvar}" "INBOX.imap-list";
}
if hasflag :contains "MyVar" "Junk" { discard; }
if hasflag "\\Flagged" { keep :flags ["\\Seen", "$Work"]; }
)"},
      {"rfc5232_require_relational", R"(require ["imap4flags", "relational", "comparator-i;ascii-numeric"];
if hasflag :count "ge" :comparator "i;ascii-numeric" "2" { keep; }
addflag ["\\Seen", "\\Answered"];
)"},
      {"rfc5233_subaddress", R"(require ["envelope", "subaddress", "fileinto"];
if envelope :user "to" "postmaster" {
    fileinto "inbox.postmaster";
    stop;
}
if envelope :detail "to" "mta-filters" {
    fileinto "inbox.ietf-mta-filters";
    stop;
}
if address :detail "to" "" { keep; }
)"},
      {"rfc5173_body", R"(require ["body", "fileinto"];
if body :raw :contains "MAKE MONEY FAST" {
    discard;
}
if body :content "text" :contains ["missile", "coordinates"] {
    fileinto "secrets";
}
if body :content "audio/mp3" :contains "" {
    fileinto "jukebox";
}
if body :text :contains "project schedule" {
    fileinto "project/schedule";
}
)"},
      {"rfc5260_date", R"(require ["date", "relational", "fileinto"];
if allof(header :is "from" "boss@example.com",
         date :value "ge" :originalzone "date" "hour" "09",
         date :value "lt" :originalzone "date" "hour" "17")
{ fileinto "urgent"; }
)"},
      {"rfc5260_currentdate", R"(require ["date", "relational", "vacation"];
if allof(currentdate :value "ge" "date" "2007-06-30",
         currentdate :value "le" "date" "2007-07-07")
{ vacation :days 7  "I'm away during the first week in July."; }
)"},
      {"rfc5260_date_variables", R"(require ["date", "variables", "fileinto"];
if currentdate :matches "month" "*" { set "month" "${1}"; }
if currentdate :matches "year"  "*" { set "year"  "${1}"; }
fileinto "${month}-${year}";
if date :zone "-0500" :is "Date" "weekday" "0" { keep; }
)"},
      {"rfc5260_index", R"(require ["date", "index", "fileinto"];
if date :index 1 :last :zone "+0000" "received" "date" "2009-07-14" { fileinto "Old"; }
if header :index 2 :matches "received" "*" { keep; }
if address :index 1 :is "from" "a@example.com" { keep; }
)"},
      {"rfc5429_reject", R"(require ["reject"];
if size :over 100K {
    reject text:
Your message is too big.  If you want to send me a big attachment,
put it on a public web site and send me a URL.
.
;
}
)"},
      {"rfc5429_ereject", R"(require ["ereject"];
if address :domain :is "from" "example.com" {
    ereject "I no longer accept mail from this domain";
}
)"},
      {"rfc5490_mailbox", R"(require ["fileinto", "reject", "mailbox"];
if mailboxexists "Partners" {
    fileinto "Partners";
} else {
    reject "This message was not accepted by the Mailstore";
}
fileinto :create "INBOX.foo";
)"},
      {"rfc6609_include", R"(require ["include"];
include :personal "always_allow";
include :global "spam_tests";
include :personal "spam_tests";
include :personal "mailing_lists";
)"},
      {"rfc6609_global", R"(require ["include", "variables"];
global "test";
global "test_mailbox";
set "test" "$$";
include "subscript1";
include :once :optional "subscript2";
return;
)"},
      {"rfc7352_duplicate", R"(require ["duplicate", "fileinto", "mailbox"];
if duplicate {
    fileinto :create "Trash/Duplicate";
}
if duplicate :header "X-Event-ID" :handle "notifier" {
    discard;
}
)"},
      {"rfc7352_uniqueid", R"(require ["duplicate", "variables", "imap4flags", "fileinto"];
if header :matches "subject" "ALERT: *" {
    if duplicate :seconds 60 :uniqueid "${1}" {
        setflag "\\seen";
    }
    fileinto "Alerts";
}
if duplicate :last :seconds 3600 { discard; }
)"},
      {"rfc3894_copy", R"(require ["copy", "fileinto"];
fileinto :copy "incoming";
redirect :copy "hamlet@example.com";
)"},
      {"rfc5463_ihave", R"(require ["ihave", "fileinto"];
if ihave "vacation" {
    vacation "I'm away";
}
if ihave ["fileinto", "imap4flags"] {
    fileinto :flags "\\Seen" "Test";
}
if ihave "x-unknown-extension" {
    x_unknown_command "whatever";
} else {
    error "x-unknown-extension is not supported";
}
)"},
      {"rfc5183_environment", R"(require "environment";
if environment :matches "remote-host" "*.example.com" { discard; }
if environment :is "name" "Letterbox" { keep; }
)"},
      {"regex_draft", R"(require ["regex", "fileinto", "variables"];
if header :regex "subject" "^\\[([a-z-]+)\\]" { fileinto "lists.${1}"; }
if address :regex :comparator "i;octet" "from" "stephan(\\+.*)?@example\\.com" { keep; }
set :quoteregex "q" "a.b";
)"},
  };
  return examples;
}

}  // namespace letterbox::sieve::examples
