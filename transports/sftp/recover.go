package sftp

import (
	"fmt"
	"log/slog"
	"runtime/debug"
)

// recovered is deferred by the request server's handlers (which run on
// the request server's goroutines, out of reach of the session's): a
// panic (a bug) becomes ErrFailure for the client, logged with the
// operation and the path, and ends one request, not the session or the
// server.
func (ses *session) recovered(op, path string, err *error) {
	if v := recover(); v != nil {
		ses.log.Error("sftp: handler panicked", "op", op, "path", path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		*err = ErrFailure
	}
}

// logPanic is deferred by the server's own goroutines (connections,
// sessions, the sweep): a panic is logged and ends that goroutine only.
func logPanic(log *slog.Logger, what string) {
	if v := recover(); v != nil {
		log.Error("sftp: "+what+" panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
}
