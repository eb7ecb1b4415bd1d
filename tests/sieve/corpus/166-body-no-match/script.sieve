require ["body", "fileinto"];
if body :contains ["lottery", "winner"] {
    fileinto "Junk";
}
