require "fileinto";
# discard only cancels the implicit keep (RFC 5228 4.5): the fileinto after it still files.
discard;
fileinto "Later";
