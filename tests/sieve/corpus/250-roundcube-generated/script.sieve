require ["fileinto","imap4flags","envelope","mailbox","variables","date","relational","vacation"];
# rule:[Spam]
if header :contains "x-spam-flag" "YES"
{
	fileinto :flags "\\Seen" "Junk";
	stop;
}
# rule:[Boss]
if address :is "from" "boss@example.com"
{
	addflag "\\Flagged";
}
# rule:[Mailing lists]
if header :matches "list-id" "*<*.*>"
{
	fileinto :create "Lists/${2}";
	stop;
}
# rule:[Out of office]
if allof (currentdate :zone "+0100" :value "ge" "date" "2001-01-01", currentdate :zone "+0100" :value "le" "date" "2001-01-14")
{
	vacation :days 1 :subject "Out of office" "I am away.";
}
