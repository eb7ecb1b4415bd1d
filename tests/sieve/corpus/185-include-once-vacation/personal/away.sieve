require ["vacation", "include"];
vacation :days 2 "Out until Monday.";
