require ["index", "fileinto", "variables"];
# :index 1 is the topmost Received, added by our own MTA.
if header :index 1 :matches "received" "from * (*" {
    fileinto "Via ${1}";
}
