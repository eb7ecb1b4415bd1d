require "fileinto";
if header :is :comparator "i;octet" "subject" "lunch on thursday?" {
    fileinto "Exact";
} elsif header :is "subject" "lunch on thursday?" {
    fileinto "Casemap";
}
