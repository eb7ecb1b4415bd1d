require ["fileinto", "imap4flags"];
addflag ["\\Seen", "\\Flagged", "$Later"];
# Flag names are case-insensitive (RFC 5232 3.3).
removeflag "\\flagged";
fileinto "Read later";
