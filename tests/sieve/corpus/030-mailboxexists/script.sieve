require ["fileinto", "mailbox"];
# The test mailbox holds only INBOX.
if mailboxexists "INBOX" {
    if mailboxexists "Lists/dev" {
        fileinto "Lists/dev";
    } else {
        fileinto :create "Lists/dev";
    }
}
