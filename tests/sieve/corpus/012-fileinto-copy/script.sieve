require ["fileinto", "copy"];
if header :contains "from" "alice" {
    fileinto :copy "People/Alice";
}
