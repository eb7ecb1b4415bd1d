require "imap4flags";
setflag "\\Seen";
setflag "";
