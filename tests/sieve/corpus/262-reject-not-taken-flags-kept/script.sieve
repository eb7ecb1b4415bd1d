require ["reject", "imap4flags"];
addflag "$Checked";
if size :over 10M {
    reject "Too large.";
}
