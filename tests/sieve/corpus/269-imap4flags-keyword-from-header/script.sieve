require ["imap4flags", "variables"];
if header :matches "X-Priority" "1*" {
    set "prio" "$Priority1";
    addflag "${prio}";
    addflag "\\Flagged";
}
