require ["duplicate", "fileinto"];
# IDs seen earlier in the same run are not duplicates (RFC 7352 3).
if duplicate :uniqueid "order-1029" {
    fileinto "First";
}
if duplicate :uniqueid "order-1029" {
    fileinto "Second";
}
