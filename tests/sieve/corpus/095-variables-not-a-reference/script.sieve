require ["fileinto", "variables"];
# "${-b}" and "${a b}" are not references and stay as written (RFC 5229 3).
fileinto "a${-b}c${a b}";
