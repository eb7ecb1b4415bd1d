require "ereject";
if size :over 100K {
    ereject "Messages over 100K are refused.";
}
