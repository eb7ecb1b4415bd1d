if header :contains "a" "b" {
 keep
