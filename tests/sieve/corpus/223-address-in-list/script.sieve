require "fileinto";
if address :is ["to", "cc"] "jane@example.org" {
    fileinto "With Jane";
}
