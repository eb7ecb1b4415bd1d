require "fileinto";
# Every occurrence of a header is tested (RFC 5228 5.7).
if header :contains "X-Label" "finance" {
    fileinto "Finance";
}
