require "fileinto";
if header :contains "subject" "newsletter" {
    fileinto "Newsletters";
} elsif header :contains "subject" ["invoice", "receipt"] {
    fileinto "Invoices";
} else {
    fileinto "Misc";
}
