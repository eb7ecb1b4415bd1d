require ["ihave", "fileinto"];
if ihave "vacation" {
    vacation "I'm away";
}
if ihave ["fileinto", "imap4flags"] {
    fileinto :flags "\\Seen" "Test";
}
if ihave "x-unknown-extension" {
    x_unknown_command "whatever";
} else {
    error "x-unknown-extension is not supported";
}
