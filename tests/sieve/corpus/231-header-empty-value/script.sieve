require "fileinto";
if allof (exists "X-Empty", header :is "X-Empty" "") {
    fileinto "Empty header";
}
