require ["vacation", "encoded-character"];
vacation :days 2 :subject "Abwesend ${unicode:2013} zur${unicode:00FC}ck am 5." "Bin ab dem 5. wieder im B${unicode:00FC}ro.";
