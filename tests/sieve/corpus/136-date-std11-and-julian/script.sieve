require ["date", "fileinto", "variables"];
if date :zone "+0200" :matches "date" "std11" "*" {
    set "std11" "${1}";
}
if date :zone "+0200" :matches "date" "julian" "*" {
    fileinto "${std11} / ${1}";
}
