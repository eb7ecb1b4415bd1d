require ["fileinto", "regex"];
# The default comparator i;ascii-casemap makes the regex case-insensitive.
if header :regex "subject" "^lunch on (mon|thurs)day" {
    fileinto "Lunch";
}
