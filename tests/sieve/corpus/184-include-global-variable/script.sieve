require ["include", "variables"];
global "folder";
set "folder" "Shared/Team";
include "file-it";
