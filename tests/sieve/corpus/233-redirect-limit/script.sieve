# The fifth redirect exceeds max_redirects = 4: a run-time error, the message is kept.
redirect "one@example.org";
redirect "two@example.org";
redirect "three@example.org";
redirect "four@example.org";
redirect "five@example.org";
