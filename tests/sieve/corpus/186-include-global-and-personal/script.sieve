require ["include", "imap4flags"];
include :global "flag-external";
include :personal "sort";
