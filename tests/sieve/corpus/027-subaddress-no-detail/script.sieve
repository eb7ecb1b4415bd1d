require ["envelope", "subaddress", "fileinto"];
# No separator: :detail matches nothing, not even "*" (RFC 5233 4).
if envelope :detail :matches "to" "*" {
    fileinto "Detailed";
}
