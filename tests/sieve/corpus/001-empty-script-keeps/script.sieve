# A user who has not written any rule yet: the implicit keep files into INBOX.
