require ["fileinto", "regex"];
if header :regex "subject" "^[0-9]{5}$" {
    fileinto "Numbers";
}
