require ["fileinto"];
# stop in an included script ends the whole run (RFC 6609 3.2).
if header :is "X-Spam-Flag" "YES" {
    fileinto "Junk";
    stop;
}
