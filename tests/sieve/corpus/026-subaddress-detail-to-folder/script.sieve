require ["envelope", "subaddress", "variables", "fileinto", "mailbox"];
if envelope :detail :matches "to" "*" {
    set :lower "folder" "${1}";
    fileinto :create "Plus/${folder}";
}
