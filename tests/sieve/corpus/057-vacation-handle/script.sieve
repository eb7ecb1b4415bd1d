require "vacation";
vacation :days 10 :handle "ooo-2024-summer" :subject "Summer break" "Closed until 1 September.";
