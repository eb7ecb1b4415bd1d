require ["fileinto", "copy"];
# The :copy keeps the implicit keep; the plain fileinto afterwards cancels it.
fileinto :copy "Copies";
fileinto "Elsewhere";
