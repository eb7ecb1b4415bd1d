require ["include"];
# Without :once the second include would run vacation twice, an error (RFC 5230 4.7).
include :once "away";
include :once "away";
