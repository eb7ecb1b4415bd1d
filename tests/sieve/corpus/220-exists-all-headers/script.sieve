require "fileinto";
# exists is true only when every named header is there (RFC 5228 5.5).
if exists ["User-Agent", "X-Mailer"] {
    fileinto "Both";
} elsif exists "User-Agent" {
    fileinto "Thunderbird";
}
