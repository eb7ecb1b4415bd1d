require ["envelope", "subaddress", "fileinto"];
if envelope :detail "to" "lists" {
    fileinto "Lists";
}
