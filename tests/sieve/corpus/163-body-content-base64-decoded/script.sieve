require ["body", "fileinto"];
if body :content "text/plain" :contains "Rechnung für März" {
    fileinto "Rechnungen";
}
