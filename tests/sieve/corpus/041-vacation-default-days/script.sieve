require "vacation";
# No :days: the site's default period (vacation_default_period = 7d, as Pigeonhole's default).
vacation "Back on Monday.";
