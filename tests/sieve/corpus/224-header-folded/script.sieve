require "fileinto";
# Folded header lines are unfolded before comparison (RFC 5228 2.4.2.2).
if header :contains "subject" "quarterly report for the board" {
    fileinto "Board";
}
