if header :is "X-Spam-Flag" "YES" {
    discard;
    stop;
}
