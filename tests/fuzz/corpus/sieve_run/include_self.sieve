require ["include", "variables"];
global "depth";
set "depth" "${depth}x";
include :optional "missing";
include :once "self";
include "self";
