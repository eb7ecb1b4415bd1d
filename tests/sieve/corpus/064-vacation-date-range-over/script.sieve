require ["vacation", "date", "relational"];
if allof (currentdate :value "ge" "date" "2001-03-01",
          currentdate :value "le" "date" "2001-03-12") {
    vacation :days 1 "I am at a conference.";
}
