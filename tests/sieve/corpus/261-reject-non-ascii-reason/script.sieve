require ["reject", "envelope"];
if envelope :domain :is "from" "werbung.example" {
    reject "Keine Werbung, danke. Ärger vermeiden: bitte austragen.";
}
