require "vacation";
# The reply goes to the SMTP MAIL FROM (RFC 5230 4.2, 5.1), not to From.
vacation :days 7 "I am away.";
