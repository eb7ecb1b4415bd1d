require ["include", "fileinto"];
fileinto "First";
# return ends only the included script (RFC 6609 3.3).
return;
fileinto "Never";
