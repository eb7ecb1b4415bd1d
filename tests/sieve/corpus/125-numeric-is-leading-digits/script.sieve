require ["fileinto", "comparator-i;ascii-numeric"];
# Only the leading digits count: "042abc" equals "42".
if header :is :comparator "i;ascii-numeric" "X-Order" "42" {
    fileinto "Order 42";
}
