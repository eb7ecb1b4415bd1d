require ["vacation", "vacation-seconds"];
# RFC 6131 2: a site minimum (vacation_min_period = 1d) raises :seconds 0.
vacation :seconds 0 "Thanks, your ticket was received.";
