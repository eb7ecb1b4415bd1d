require "vacation";
# Addresses ending in -request or beginning with owner- are list software (RFC 5230 4.6).
vacation :days 7 "I am away.";
