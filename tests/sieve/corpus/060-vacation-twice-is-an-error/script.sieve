require "vacation";
vacation :days 7 "I am away.";
if header :contains "subject" "lunch" {
    vacation :days 1 "No lunch, I am away.";
}
