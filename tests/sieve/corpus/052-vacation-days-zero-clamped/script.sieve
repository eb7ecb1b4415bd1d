require "vacation";
# :days 0 is below the minimum (RFC 5230 4.1); the configured minimum of 1 day applies.
vacation :days 0 "I am away.";
