require "fileinto";
if size :over 500K {
    fileinto "Huge";
} elsif size :under 1K {
    fileinto "Tiny";
} else {
    fileinto "Normal";
}
