require "encoded-character";
if header :contains "Subject" "$${hex:24 24}" { discard; }
if header :contains "Subject" "${unicode:40}${Unicode: 263a 1F600 }" { keep; }
