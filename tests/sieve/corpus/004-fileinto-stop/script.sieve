require "fileinto";
if header :contains "subject" "[SPAM]" {
    fileinto "Junk";
    stop;
}
fileinto "Other";
