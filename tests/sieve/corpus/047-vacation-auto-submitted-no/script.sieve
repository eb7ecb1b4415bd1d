require "vacation";
# Auto-Submitted: no is a person's message (RFC 3834 5): the reply goes out.
vacation :days 7 "I am away.";
