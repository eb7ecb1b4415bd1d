require "fileinto";
# An unencoded UTF-8 header (RFC 6532) compares as it is.
if header :contains "subject" "Grüße" {
    fileinto "Grüße";
}
