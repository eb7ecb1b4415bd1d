require ["fileinto", "regex"];
if header :regex "subject" "^Grüße aus .+$" {
    fileinto "Postkarten";
}
