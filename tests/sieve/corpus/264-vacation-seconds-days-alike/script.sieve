require ["vacation-seconds"];
# :seconds that are whole days are still printed as seconds.
vacation :seconds 604800 :subject "Weekly" "One reply per week.";
