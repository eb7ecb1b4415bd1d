require "fileinto";
if header :contains "from" "Jürgen Müller" {
    fileinto "Jürgen";
}
