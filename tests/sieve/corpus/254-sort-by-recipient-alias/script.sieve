require ["fileinto", "envelope", "subaddress", "variables", "mailbox"];
if envelope :matches "to" "*+*@*" {
    set :lower :upperfirst "tag" "${2}";
    fileinto :create "Tagged/${tag}";
} elsif address :is "to" "postmaster@example.net" {
    fileinto "Postmaster";
}
