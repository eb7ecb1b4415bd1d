require ["ihave"];
if not ihave "vnd.example.teleport" {
    error "this script needs teleport";
}
