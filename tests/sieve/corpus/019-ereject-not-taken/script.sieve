require ["ereject", "fileinto"];
if header :contains "subject" "viagra" {
    ereject "No.";
}
fileinto "Checked";
