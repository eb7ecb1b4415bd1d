require "vacation";
vacation :days 3 :subject "Away until 2 April" text:
Hello,

I am out of the office until 2 April.
..In urgent cases contact
support@example.net.
.
;
