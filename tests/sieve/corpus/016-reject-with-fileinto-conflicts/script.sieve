require ["reject", "fileinto"];
fileinto "Suspicious";
reject "Not wanted here.";
