require ["regex", "fileinto", "variables"];
if header :regex "subject" "^\\[([a-z-]+)\\]" { fileinto "lists.${1}"; }
if address :regex :comparator "i;octet" "from" "stephan(\\+.*)?@example\\.com" { keep; }
set :quoteregex "q" "a.b";
