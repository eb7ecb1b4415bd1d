require "imap4flags";
# \Recent cannot be set (RFC 5232 2): it is ignored.
addflag ["\\Recent", "\\Deleted"];
