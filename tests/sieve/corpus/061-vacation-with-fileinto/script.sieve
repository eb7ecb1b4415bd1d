require ["vacation", "fileinto"];
# Vacation does not touch the implicit keep (RFC 5230 4.7); the fileinto cancels it.
fileinto "While away";
vacation :days 7 "I am away.";
