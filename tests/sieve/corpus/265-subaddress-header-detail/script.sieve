require ["subaddress", "fileinto", "variables", "mailbox"];
# The detail of the To header, as many list services use (RFC 5233 4).
if address :detail :matches "to" "*" {
    fileinto :create "Services/${1}";
}
