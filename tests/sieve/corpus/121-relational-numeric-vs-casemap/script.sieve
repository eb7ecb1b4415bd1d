require ["fileinto", "relational", "comparator-i;ascii-numeric"];
# As strings "10" < "9"; as numbers it is the other way round.
if header :value "lt" "X-Priority" "9" {
    fileinto "String order";
}
if header :value "gt" :comparator "i;ascii-numeric" "X-Priority" "9" {
    fileinto "Numeric order";
}
