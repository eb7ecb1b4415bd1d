require ["fileinto", "variables"];
fileinto "x${undefined}y";
