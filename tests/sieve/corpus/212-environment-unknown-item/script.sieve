require ["environment", "fileinto"];
# An unknown item makes the test false (RFC 5183 4).
if environment :matches "vnd.example.mood" "*" {
    fileinto "Moody";
}
