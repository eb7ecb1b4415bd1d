require ["date", "relational", "fileinto"];
if date :originalzone :value "lt" "date" "date" "2024-01-01" {
    fileinto "Old";
} else {
    fileinto "New";
}
