require ["fileinto", "imap4flags"];
if address :is "from" "boss@example.com" {
    fileinto :flags ["\\Flagged", "$Important"] "Boss";
}
