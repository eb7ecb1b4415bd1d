require ["index", "fileinto"];
if address :index 2 :is "from" "alice@example.com" {
    fileinto "Second From";
}
