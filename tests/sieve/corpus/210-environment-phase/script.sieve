require ["environment", "fileinto"];
if environment :is "phase" "during" {
    fileinto "At delivery";
}
