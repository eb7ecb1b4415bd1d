require ["date", "index", "fileinto"];
if date :index 1 :last :zone "+0000" "received" "date" "2009-07-14" { fileinto "Old"; }
if header :index 2 :matches "received" "*" { keep; }
if address :index 1 :is "from" "a@example.com" { keep; }
