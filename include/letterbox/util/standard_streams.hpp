// Standard input, output and error that may have been closed by whoever started us (cron, a wrapper,
// `2>&-`). A descriptor 0, 1 or 2 left free would be the next file a program opens, and its error
// messages would then be written into that file: into the shared directory cache, a mailbox, the log.
#pragma once

namespace letterbox {

// Opens /dev/null on each of 0, 1 and 2 that is closed. Call first thing in main(), before anything
// opens a file. False (with errno) when one could not be opened: the program must stop, saying nothing.
bool open_standard_streams();

}  // namespace letterbox
