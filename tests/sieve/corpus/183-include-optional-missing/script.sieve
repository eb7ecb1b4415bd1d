require ["include", "fileinto"];
include :optional "not-there";
fileinto "Done";
