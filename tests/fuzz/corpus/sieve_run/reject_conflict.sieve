require ["reject", "fileinto", "copy", "vacation"];
if header :contains "subject" "present" { fileinto :copy "Junk"; }
vacation :days 1 "away";
reject "no";
