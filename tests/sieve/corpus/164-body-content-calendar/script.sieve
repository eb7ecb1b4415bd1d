require ["body", "fileinto"];
if body :content "text/calendar" :contains "METHOD:REQUEST" {
    fileinto "Invitations";
}
