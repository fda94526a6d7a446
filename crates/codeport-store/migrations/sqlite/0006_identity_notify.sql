-- Nothing to do: SQLite has no push channel; a server reads the identity generation on
-- every request instead (a point read on the thread's own connection). This script keeps
-- the two backends' migration numbers aligned.

