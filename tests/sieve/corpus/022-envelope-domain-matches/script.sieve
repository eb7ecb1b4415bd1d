require ["envelope", "fileinto"];
if envelope :domain :matches "from" "*.example.com" {
    fileinto "Subsidiaries";
} elsif envelope :domain :is "from" "example.com" {
    fileinto "Headquarters";
}
