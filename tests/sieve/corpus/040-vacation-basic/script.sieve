require "vacation";
vacation :days 7 :subject "Out of office" "I am on holiday until 29 January and read no mail. For urgent matters please call the office.";
