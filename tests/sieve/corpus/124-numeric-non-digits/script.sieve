require ["fileinto", "relational", "comparator-i;ascii-numeric"];
# A value that does not start with a digit is positive infinity (RFC 4790 9.1.1).
if header :value "gt" :comparator "i;ascii-numeric" "X-Spam-Score" "1000000" {
    fileinto "Infinite";
}
