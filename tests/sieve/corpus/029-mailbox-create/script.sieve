require ["fileinto", "mailbox"];
if header :contains "subject" "project" {
    fileinto :create "Projects/2024";
}
