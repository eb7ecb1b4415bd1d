require "fileinto";
if allof (not exists "List-Id",
          anyof (header :contains "subject" "urgent", address :is "from" "alice@example.com")) {
    fileinto "Personal";
}
