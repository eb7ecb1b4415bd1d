require "vacation";
vacation :days 90 "I am away for a long time.";
