require ["date", "relational", "fileinto"];
if currentdate :zone "+0000" :value "lt" "date" "2999-01-01" {
    fileinto "Before 2999";
}
if currentdate :zone "+0000" :value "lt" "year" "2000" {
    fileinto "Last century";
}
