require "fileinto";
# Without the capability "${hex:41}" is an ordinary string.
if header :contains "subject" "${hex:4C}" {
    fileinto "Decoded";
} else {
    fileinto "Raw ${hex:41}";
}
