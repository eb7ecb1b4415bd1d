require ["fileinto", "variables", "relational", "comparator-i;ascii-numeric"];
if header :matches "subject" "*" {
    set :length "n" "${1}";
}
if string :value "gt" :comparator "i;ascii-numeric" "${n}" "10" {
    fileinto "Long subject (${n})";
}
