require "fileinto";
filein "x";
