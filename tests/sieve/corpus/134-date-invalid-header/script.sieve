require ["date", "fileinto"];
# An unparsable Date makes the date test false (RFC 5260 4).
if date :originalzone :matches "date" "year" "*" {
    fileinto "Dated";
}
