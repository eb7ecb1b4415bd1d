require "variables";
if header :matches "subject" "*" {
    set "target" "${1}";
}
# "Lunch on Thursday?" is no address: a run-time error.
redirect "${target}";
