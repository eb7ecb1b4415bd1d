require "reject";
if address :is "from" "spammer@bad.example" {
    reject "I do not accept mail from you.";
}
