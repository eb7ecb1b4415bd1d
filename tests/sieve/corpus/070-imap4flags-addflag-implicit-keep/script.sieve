require "imap4flags";
# The internal flag variable applies to the implicit keep (RFC 5232 3).
if address :is "from" "alice@example.com" {
    addflag "\\Seen";
}
