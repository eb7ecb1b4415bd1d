require ["fileinto", "variables"];
set "Folder" "Mixed";
fileinto "${FOLDER}/${folder}";
