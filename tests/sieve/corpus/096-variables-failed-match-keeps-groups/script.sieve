require ["fileinto", "variables"];
if header :matches "subject" "Lunch *" {
    set "seen" "yes";
}
# A failed match leaves the match variables of the last successful one (RFC 5229 3.2).
if header :matches "subject" "Dinner *" {
    set "seen" "no";
}
fileinto "${seen}/${1}";
