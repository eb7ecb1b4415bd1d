require ["vacation","date","relational"];
# rule:[Abwesenheit]
if allof (currentdate :zone "+0100" :value "ge" "iso8601" "2001-07-01T00:00:00+01:00", currentdate :zone "+0100" :value "le" "iso8601" "2099-07-21T23:59:59+01:00")
{
	vacation :days 1 :addresses ["user@example.net","u.name@example.net"] :subject "Abwesenheitsnotiz: ${subject}" :from "user@example.net" "Ich bin bis 21. Juli nicht erreichbar.";
}
