require ["ihave", "fileinto"];
# The block of an unknown capability is not compiled (RFC 5463 4).
if ihave "vnd.example.frobnicate" {
    frobnicate :loudly "everything";
} else {
    fileinto "Fallback";
}
