require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :count "gt" :comparator "i;ascii-numeric" "received" "1" {
    fileinto "Relayed";
}
