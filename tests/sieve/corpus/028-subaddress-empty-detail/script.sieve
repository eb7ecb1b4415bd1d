require ["envelope", "subaddress", "fileinto"];
# "user+@": the detail is the empty string (RFC 5233 4).
if envelope :detail :is "to" "" {
    fileinto "Empty detail";
}
