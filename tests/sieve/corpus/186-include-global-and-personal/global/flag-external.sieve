require ["imap4flags"];
if not address :domain :is "from" ["example.net", "example.com"] {
    addflag "$External";
}
