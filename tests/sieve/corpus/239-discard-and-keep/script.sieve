# keep after discard stores the copy again (RFC 5228 4.3).
discard;
keep;
