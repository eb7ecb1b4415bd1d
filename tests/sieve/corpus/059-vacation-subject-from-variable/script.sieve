require ["vacation", "variables"];
if header :matches "subject" "*" {
    set "subject" "${1}";
}
vacation :days 7 :subject "Re: ${subject}" "I am away until Monday.";
