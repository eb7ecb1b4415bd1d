require ["duplicate"];
if duplicate {
    discard;
    stop;
}
