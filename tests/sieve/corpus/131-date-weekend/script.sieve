require ["date", "fileinto"];
# weekday: 0 is Sunday (RFC 5260 4.2).
if date :originalzone :is "date" "weekday" ["0", "6"] {
    fileinto "Weekend";
}
