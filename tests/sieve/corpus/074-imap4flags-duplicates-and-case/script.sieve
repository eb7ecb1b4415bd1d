require "imap4flags";
addflag "$Label1 $label1  \\Seen";
addflag "\\SEEN";
