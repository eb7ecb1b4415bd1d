require ["copy", "envelope", "fileinto"];
# While travelling, forward everything from the office, keep a copy, and sort the copy.
if address :domain :is "from" "example.com" {
    redirect :copy "user.mobile@example.org";
    fileinto "Office";
}
