require "reject";
if header :contains "subject" "lunch" {
    reject text:
Sorry, this address only takes
support requests.
.
;
}
