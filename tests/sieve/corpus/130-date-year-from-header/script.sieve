require ["date", "fileinto", "variables", "mailbox"];
if date :originalzone :matches "date" "year" "*" {
    set "year" "${1}";
}
if date :originalzone :matches "date" "month" "*" {
    fileinto :create "Archive/${year}/${1}";
}
