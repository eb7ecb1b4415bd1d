require ["environment", "fileinto", "variables"];
if environment :matches "location" "*" {
    fileinto "Location ${1}";
}
