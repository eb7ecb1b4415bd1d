require ["body", "fileinto"];
# :text looks at the text parts only, decoded (RFC 5173 5.2).
if body :text :contains "invoice" {
    fileinto "Invoices";
}
