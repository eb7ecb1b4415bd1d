require ["reject", "vacation"];
vacation "I am away.";
reject "Go away.";
