if address :is "to" "user@example.net" {
    redirect "user@home.example.org";
}
