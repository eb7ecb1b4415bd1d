require ["vacation", "date", "relational"];
# Roundcube's out-of-office form: a start and an end date.
if allof (currentdate :value "ge" "date" "2001-01-01",
          currentdate :value "le" "date" "2099-12-31") {
    vacation :days 1 :subject "At a conference" "I am at a conference until 12 March.";
}
