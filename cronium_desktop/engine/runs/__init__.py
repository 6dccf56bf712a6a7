"""Runs (SPEC §2): recording and starting them (`service`), the queue that orders them (`queue`),
one attempt end to end (`runner`), their output (`logsink`, `logstore`), the folder's run host
(`host`) and runs of the editor's unsaved text (`drafts`)."""
