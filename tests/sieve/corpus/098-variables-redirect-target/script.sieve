require ["variables", "copy"];
set "who" "assistant";
set "where" "example.org";
redirect :copy "${who}@${where}";
