require ["index", "fileinto", "variables"];
# :last counts from the bottom: the first hop.
if header :index 1 :last :matches "received" "from * (*" {
    fileinto "Origin ${1}";
}
