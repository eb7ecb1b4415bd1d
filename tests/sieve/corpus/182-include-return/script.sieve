require ["include", "fileinto"];
include "first";
fileinto "Second";
