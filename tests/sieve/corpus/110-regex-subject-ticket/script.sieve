require ["fileinto", "regex", "variables", "mailbox"];
if header :regex "subject" "\\[Ticket #([0-9]+)\\]" {
    fileinto :create "Tickets/${1}";
}
