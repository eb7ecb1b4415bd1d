require "fileinto";
# RFC 5228 2.10.3: the same mailbox twice is one copy, and no error.
fileinto "Archive";
if true {
    fileinto "Archive";
}
