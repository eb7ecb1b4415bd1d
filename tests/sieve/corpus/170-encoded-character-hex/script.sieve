require ["encoded-character", "fileinto"];
if header :contains "subject" "${hex:4C 75 6E 63 68}" {
    fileinto "L${hex:75}nch";
}
