require ["fileinto", "variables", "mailbox"];
if header :matches "List-Id" "*<*.lists.example.org>" {
    fileinto :create "Lists/${2}";
}
