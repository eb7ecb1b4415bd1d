require "vacation";
# The second message from the same sender within :days gets no reply (RFC 5230 4.2).
vacation :days 7 "I am away.";
