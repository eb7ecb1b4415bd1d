require "fileinto";
if header :contains "subject" ["dinner", "breakfast", "lunch"] {
    fileinto "Meals";
}
