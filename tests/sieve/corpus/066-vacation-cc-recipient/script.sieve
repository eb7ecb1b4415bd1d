require "vacation";
vacation :days 5 :subject "Abwesend" "Ich bin bis Freitag nicht im Büro.";
