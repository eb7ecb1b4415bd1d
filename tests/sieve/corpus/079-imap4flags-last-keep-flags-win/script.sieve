require "imap4flags";
# One copy for two keeps; its flags are the last list (RFC 5232 3, RFC 5228 2.10.3).
keep :flags "\\Seen";
keep :flags "\\Flagged";
