require ["envelope", "fileinto"];
if envelope :all :is "to" "USER@EXAMPLE.NET" {
    fileinto "Me";
}
