require ["fileinto", "regex"];
if address :domain :regex "from" "^(mail\\.)?example\\.(com|org)$" {
    fileinto "Example";
}
