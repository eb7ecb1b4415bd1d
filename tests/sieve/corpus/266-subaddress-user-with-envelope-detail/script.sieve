require ["envelope", "subaddress", "fileinto"];
if allof (envelope :user "to" "user", envelope :detail "to" "bills") {
    fileinto "Bills";
}
