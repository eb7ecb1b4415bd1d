require "vacation";
# Neither the recipient nor an :addresses entry is in To/Cc: no reply (RFC 5230 4.5).
vacation :days 7 "I am away.";
