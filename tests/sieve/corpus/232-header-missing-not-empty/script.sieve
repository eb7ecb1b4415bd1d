require "fileinto";
# A missing header matches nothing, not even "" (RFC 5228 5.7).
if header :is "X-Missing" "" {
    fileinto "Wrong";
}
if not header :matches "X-Missing" "*" {
    fileinto "Right";
}
