require ["fileinto", "imap4flags"];
if header :contains "X-Spam-Status" "Yes," {
    fileinto :flags "\\Seen $Junk" "Junk";
    stop;
}
