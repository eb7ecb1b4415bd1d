require ["envelope", "fileinto"];
# The envelope recipient, not the To header (a Bcc).
if envelope :localpart :is "to" "user" {
    fileinto "Bcc";
}
