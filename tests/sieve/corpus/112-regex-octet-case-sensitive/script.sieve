require ["fileinto", "regex"];
if header :regex :comparator "i;octet" "subject" "^lunch" {
    fileinto "lower";
} elsif header :regex :comparator "i;octet" "subject" "^Lunch" {
    fileinto "Upper";
}
