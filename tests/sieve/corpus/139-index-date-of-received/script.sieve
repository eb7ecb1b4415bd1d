require ["index", "date", "fileinto", "variables"];
# The date after the last ";" of a Received field (RFC 5260 4).
if date :index 1 :originalzone :matches "received" "time" "*" {
    fileinto "Received at ${1}";
}
