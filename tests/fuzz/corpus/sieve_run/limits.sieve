require ["fileinto", "copy", "imap4flags", "duplicate", "body", "date", "environment", "mailbox"];
addflag "\\Seen $a";
if duplicate :seconds 60 { fileinto :copy :flags "b" "A"; }
if body :content "text" :contains "birdseed" { redirect :copy "a@example.org"; redirect :copy "b@example.org"; }
if date :zone "-0500" "date" "hour" "04" { fileinto "B"; }
if environment :is "location" "MDA" { redirect "c@example.org"; }
if mailboxexists "odd" { discard; }
