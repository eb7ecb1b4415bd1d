require "fileinto";
if true {
    if header :contains "subject" "lunch" {
        fileinto "Lunch";
        stop;
    }
    fileinto "Not lunch";
}
fileinto "After";
