require "vacation-seconds";
vacation :seconds 172800 :subject "Auto-reply" "Your message was received.";
