require ["fileinto"];
if header :contains "List-Id" "dev.lists.example.org" {
    fileinto "Lists/dev";
}
