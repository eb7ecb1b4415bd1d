require ["fileinto", "mailbox"];
if header :contains "subject" "Rechnung" {
    fileinto :create "Übersicht/Rechnungen 2024";
}
