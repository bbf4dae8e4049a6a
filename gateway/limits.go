package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/inbox"
)

// errMessageTimeout is the cause of a message's context ending at
// Limits.MessageTimeout.
var errMessageTimeout = errors.New("message processing timed out")

// processBounded runs Process within the limits of Config.Limits: a
// message interrupted MaxAttempts times fails without being tried again,
// and one still at work after MessageTimeout fails with the reason. An
// error means that ctx ended (or a store failed), as with Process.
func (g *Gateway) processBounded(ctx context.Context, m *inbox.Message) (inbox.Outcome, error) {
	lim := g.Config.Limits
	if lim.MaxAttempts > 0 && m.Interrupted >= lim.MaxAttempts {
		g.log.Warn("message interrupted too often: failed", "id", m.ID, "name", m.Name, "interrupted", m.Interrupted)
		return failedOutcome(m, fmt.Sprintf("processing started %d times without finishing (the gateway stopped or crashed while at it); "+
			"failed instead of being tried again (limits.max_attempts = %d); replay it once the cause is found", m.Interrupted, lim.MaxAttempts)), nil
	}
	if lim.MessageTimeout <= 0 {
		return g.Process(ctx, m)
	}
	mctx, cancel := context.WithTimeoutCause(ctx, lim.MessageTimeout, errMessageTimeout)
	defer cancel()
	out, err := g.Process(mctx, m)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(mctx), errMessageTimeout) {
		g.log.Warn("message processing timed out: failed", "id", m.ID, "name", m.Name, "timeout", lim.MessageTimeout)
		return failedOutcome(m, fmt.Sprintf("processing took longer than limits.message_timeout (%s) and was stopped; "+
			"movements posted before are kept and a replay posts the rest (once only)", lim.MessageTimeout)), nil
	}
	return out, err
}

func failedOutcome(m *inbox.Message, msg string) inbox.Outcome {
	return inbox.Outcome{State: inbox.Failed, Errors: []inbox.Problem{{Place: m.Name, Msg: msg}}}
}

// decodeHint adds to a decoding error the setting that governs it.
func decodeHint(err error) string {
	if errors.Is(err, documents.ErrTooDeep) {
		return " (limits.max_hl_depth)"
	}
	return ""
}
