require ["subaddress", "fileinto"];
if address :user "to" "user" {
    fileinto "Mine";
}
