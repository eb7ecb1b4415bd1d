require ["fileinto", "variables"];
set :quotewildcard "pattern" "Re: [*] ok?";
if string :matches "Re: [*] ok?" "${pattern}" {
    fileinto "Literal";
}
if string :matches "Re: [x] ok!" "${pattern}" {
    fileinto "Wildcard";
}
