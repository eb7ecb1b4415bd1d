require "fileinto";
if address :localpart :is "from" "ALICE" {
    fileinto "Alice";
}
