require "vacation";
vacation :days 7 :subject "Abwesenheitsnotiz" :mime text:
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

Ich bin im Urlaub.
--alt
Content-Type: text/html; charset=utf-8

<p>Ich bin im <b>Urlaub</b>.</p>
--alt--
.
;
