require ["copy", "vacation"];
redirect :copy "deputy@example.net";
vacation :days 3 "I am away; your message was passed to my deputy.";
