require ["fileinto", "imap4flags", "mailbox", "relational", "comparator-i;ascii-numeric", "variables"];

# Spam first: anything scoring 5 or more goes to Junk, read.
if header :value "ge" :comparator "i;ascii-numeric" "X-Spam-Score" "5" {
    fileinto :flags "\\Seen" "Junk";
    stop;
}

# People I work with get a label.
if address :domain :is "from" "example.com" {
    addflag "$Work";
}

# Lists by their List-Id.
if header :matches "List-Id" "*<*.lists.example.org>" {
    set :lower "list" "${2}";
    fileinto :create "Lists/${list}";
    stop;
}
