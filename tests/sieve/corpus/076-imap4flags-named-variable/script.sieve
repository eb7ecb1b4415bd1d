require ["fileinto", "imap4flags", "variables"];
addflag "myflags" "\\Answered";
addflag "myflags" "$Replied";
# The internal variable stays empty: only :flags sets the flags of this copy.
fileinto :flags "${myflags}" "Done";
keep;
