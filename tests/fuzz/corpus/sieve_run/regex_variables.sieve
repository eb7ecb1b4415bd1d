require ["regex", "variables", "vacation", "ihave"];
if header :regex "subject" "(caf.)" { set :upperfirst "s" "${1}"; }
vacation :subject "Re: ${s}" :from "me@example.org" "${s}";
if not ihave "x-unknown" { error "no ${s}"; }
