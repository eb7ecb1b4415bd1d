require ["copy", "fileinto", "imap4flags"];
fileinto :copy :flags "\\Seen" "Read copies";
