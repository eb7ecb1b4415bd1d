require ["envelope", "fileinto"];
# A bounce: the null reverse-path is the empty address (RFC 5228 5.4).
if envelope :is "from" "" {
    fileinto "Bounces";
}
