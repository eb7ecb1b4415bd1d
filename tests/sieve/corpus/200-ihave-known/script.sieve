require ["ihave"];
if ihave "fileinto" {
    fileinto "Supported";
}
