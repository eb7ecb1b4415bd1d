require ["body", "fileinto"];
# :raw is the undecoded body (RFC 5173 5.1): the base64 text, not the words.
if body :raw :contains "SGVsbG8sIHdvcmxk" {
    fileinto "Raw";
}
if body :raw :contains "Hello, world" {
    fileinto "Decoded";
}
