require ["fileinto", "relational", "comparator-i;ascii-numeric"];
# :count counts the addresses in all the named headers (RFC 5231 4.2).
if address :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] "5" {
    fileinto "Crowd";
}
