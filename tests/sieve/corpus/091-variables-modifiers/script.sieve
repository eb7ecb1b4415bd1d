require ["fileinto", "variables"];
# :lower (precedence 40) before :upperfirst (30); :length last (RFC 5229 4.1).
set :upperfirst :lower "name" "ALICE";
set :length "len" "${name}";
fileinto "${name}-${len}";
