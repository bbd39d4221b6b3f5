"""statusgen serve: the in-memory site that re-renders what an edit touches, the file
watcher and the HTTP server."""
