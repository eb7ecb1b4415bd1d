require "fileinto";
if header :is "x-priority" "1" {
    fileinto "INBOX";
    stop;
}
fileinto "Later";
