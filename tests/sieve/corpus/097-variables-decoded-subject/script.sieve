require ["fileinto", "variables", "mailbox"];
# Header values are decoded from RFC 2047 encoded words before matching.
if header :matches "subject" "Rechnung *" {
    fileinto :create "Rechnungen/${1}";
}
