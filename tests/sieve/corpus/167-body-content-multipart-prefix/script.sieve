require ["body", "fileinto"];
# A bare type matches every subtype: "text" is text/plain and text/html alike (RFC 5173 5.3).
if body :content "text" :contains "statement" {
    fileinto "Statements";
}
