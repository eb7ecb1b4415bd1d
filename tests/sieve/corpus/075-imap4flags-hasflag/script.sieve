require ["fileinto", "imap4flags"];
if header :contains "subject" "lunch" {
    addflag "\\Flagged";
}
if hasflag :is "\\flagged" {
    fileinto "Flagged";
}
