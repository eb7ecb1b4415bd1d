require ["fileinto"];
if address :domain :is "from" "partner.example" {
    fileinto "Partners";
}
