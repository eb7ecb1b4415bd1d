require "vacation";
# The message was sent to an alias; :addresses names it (RFC 5230 4.5).
vacation :days 14 :from "User Name <user@example.net>"
    :addresses ["u.name@example.net", "user@example.org"]
    "I will answer your message when I am back.";
