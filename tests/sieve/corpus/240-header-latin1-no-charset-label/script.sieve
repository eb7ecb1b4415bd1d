require "fileinto";
if header :contains "subject" "Café" {
    fileinto "Cafe";
}
