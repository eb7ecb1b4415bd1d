require ["body", "fileinto"];
if body :contains "unsubscribe" {
    fileinto "Newsletters";
}
