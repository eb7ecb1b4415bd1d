require "fileinto";
# \\* is a literal asterisk in :matches (RFC 5228 2.7.1).
if header :matches "subject" "*\\*IMPORTANT\\**" {
    fileinto "Starred";
}
