require ["fileinto", "variables"];
if address :all :matches "from" "*@*" {
    set :lower "domain" "${2}";
    set "user" "${1}";
    fileinto "From/${domain}/${user}";
}
