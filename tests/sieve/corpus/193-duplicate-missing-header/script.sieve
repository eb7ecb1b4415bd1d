require ["duplicate", "fileinto"];
# A missing :header makes the test false (RFC 7352 3.1).
if duplicate :header "X-Request-ID" {
    discard;
} else {
    fileinto "Fresh";
}
