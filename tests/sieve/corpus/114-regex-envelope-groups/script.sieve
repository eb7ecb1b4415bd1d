require ["envelope", "fileinto", "regex", "variables"];
if envelope :regex "from" "^([^@]+)@([^.]+)\\." {
    fileinto "${2}-${1}";
}
