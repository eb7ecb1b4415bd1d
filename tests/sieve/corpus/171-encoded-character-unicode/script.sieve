require ["encoded-character", "fileinto", "mailbox"];
fileinto :create "${unicode:00DC}bersicht ${unicode: 20ac 1F600}";
