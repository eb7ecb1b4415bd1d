require "fileinto";
if address :is :domain "from" "example.com" {
    fileinto "Work";
}
