require ["fileinto","envelope","subaddress","imap4flags","mailbox"];
# A user's filters as Roundcube's managesieve plugin writes them (one "# rule:" per rule), the script
# bench_sieve runs through letterbox-lmtpd and through Dovecot's Pigeonhole. Only rule 10 matches the
# benchmark's messages: those whose Subject carries "[letterbox-dev]" (one in ten) go, marked \Seen, to
# the folder letterbox-dev; all others pass every rule and stay in INBOX.
# rule:[Debian devel]
if header :contains "list-id" "debian-devel.lists.debian.org"
{
	fileinto :create "debian-devel";
	stop;
}
# rule:[Postfix users]
if header :contains "list-id" "postfix-users.postfix.org"
{
	fileinto :create "postfix-users";
	stop;
}
# rule:[Dovecot]
if anyof (header :contains "list-id" "dovecot.dovecot.org", header :contains "subject" "[Dovecot]")
{
	fileinto :create "dovecot";
	stop;
}
# rule:[GitHub]
if address :is "from" "notifications@github.com"
{
	fileinto :create "GitHub";
	stop;
}
# rule:[Receipts from shops]
if address :domain :is "from" ["paypal.com","amazon.com","ebay.com"]
{
	fileinto :create "Receipts";
}
# rule:[Invoices]
if header :contains "subject" ["invoice","receipt","Rechnung","order confirmation"]
{
	addflag "$Invoice";
	fileinto :create "Receipts";
	stop;
}
# rule:[Lists by address]
if envelope :detail "to" "lists"
{
	fileinto :create "Lists";
	stop;
}
# rule:[Shopping address]
if envelope :detail :is "to" "shop"
{
	fileinto :create "Shopping";
	stop;
}
# rule:[Travel address]
if address :detail :is "to" "travel"
{
	fileinto :create "Travel";
}
# rule:[Letterbox dev list]
if anyof (header :contains "list-id" "letterbox-dev.lists.example.org", header :contains "subject" "[letterbox-dev]")
{
	addflag "\\Seen";
	fileinto :create "letterbox-dev";
	stop;
}
# rule:[From the boss]
if address :is "from" ["boss@example.org","ceo@example.org"]
{
	addflag "\\Flagged";
}
# rule:[Urgent]
if header :contains "subject" ["urgent","asap","dringend"]
{
	addflag "\\Flagged";
}
# rule:[Spam flag]
if header :contains "x-spam-flag" "YES"
{
	fileinto :create "Junk";
	stop;
}
# rule:[Spam score]
if header :contains "x-spam-level" "*****"
{
	fileinto :create "Junk";
	stop;
}
# rule:[Facebook]
if envelope :domain :is "from" ["facebookmail.com","linkedin.com"]
{
	fileinto :create "Social";
	stop;
}
# rule:[LinkedIn]
if header :contains "from" ["linkedin.com","xing.com"]
{
	fileinto :create "Social";
	stop;
}
# rule:[Newsletters]
if allof (exists "list-unsubscribe", not exists "list-id")
{
	fileinto :create "Newsletters";
	stop;
}
# rule:[Security advisories]
if header :contains "subject" ["[SECURITY]","security advisory","DSA-"]
{
	addflag "\\Flagged";
	fileinto :create "Security";
	stop;
}
# rule:[Team copies]
if header :contains ["to","cc"] "team@example.org"
{
	addflag "$Team";
}
# rule:[Large mail]
if size :over 10M
{
	fileinto :create "Large";
	stop;
}
