package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/inbox"
)

// messageQuery is a message search: the inbox's filter plus exact matches
// on document type and control number.
type messageQuery struct {
	partner string
	state   inbox.State
	docType string
	control string
	text    string
	since   time.Time
	until   time.Time
	before  uint64
	limit   int
}

var messageStates = []inbox.State{inbox.Received, inbox.Processing, inbox.Done, inbox.Failed, inbox.Duplicate}

func parseMessageQuery(r *http.Request, def, maxLimit int) (messageQuery, error) {
	v := r.URL.Query()
	q := messageQuery{partner: v.Get("partner"), state: inbox.State(v.Get("state")), docType: v.Get("doc_type"),
		control: strings.TrimSpace(v.Get("control")), text: strings.TrimSpace(v.Get("q"))}
	if q.state != "" && !containsState(q.state) {
		return q, badParam("state", "want one of received, processing, done, failed, duplicate")
	}
	var err error
	if q.since, err = timeParam(r, "since"); err != nil {
		return q, err
	}
	if q.until, err = timeParam(r, "until"); err != nil {
		return q, err
	}
	if q.before, err = uintParam(r, "before"); err != nil {
		return q, err
	}
	q.limit = def
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			return q, badParam("limit", "want a number from 1 to %d", maxLimit)
		}
		q.limit = n
	}
	return q, nil
}

func containsState(st inbox.State) bool {
	for _, s := range messageStates {
		if s == st {
			return true
		}
	}
	return false
}

// maxSearchScan bounds the inbox index entries one search reads. Every
// filter but free text reads an index of exactly the matching messages;
// a text search over a large inbox returns what it found among this many
// and a cursor to continue.
const maxSearchScan = 2_000

// searchMessages returns up to q.limit messages matching q, newest first,
// and the id to page on from (0 when there are no more). A page may be
// short and still have a next id: the scan bound ran out (text search).
func (s *Server) searchMessages(ctx context.Context, q messageQuery) ([]*inbox.Message, uint64, error) {
	f := inbox.Filter{State: q.state, Partner: q.partner, Since: q.since, Until: q.until, Control: q.control,
		DocType: q.docType, Text: q.text, Before: q.before, Limit: q.limit, MaxScan: maxSearchScan}
	p, err := s.deps.Inbox.Search(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	if p.Messages == nil {
		p.Messages = []*inbox.Message{}
	}
	return p.Messages, p.Next, nil
}

type messagePage struct {
	Messages   []*inbox.Message `json:"messages"`
	NextBefore uint64           `json:"next_before,omitempty"`
}

func (s *Server) apiMessages(w http.ResponseWriter, r *http.Request) {
	q, err := parseMessageQuery(r, 100, maxPage)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	msgs, next, err := s.searchMessages(r.Context(), q)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, messagePage{Messages: msgs, NextBefore: next})
}

func (s *Server) apiMessage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	d, err := s.messageDetail(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// apiMessageRaw sends a message's bytes as received.
func (s *Server) apiMessageRaw(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	m, err := s.deps.Inbox.Get(id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if m.Purged {
		writeError(w, http.StatusGone, "purged", "retention removed this message's bytes")
		return
	}
	body, err := s.deps.Inbox.Body(id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(m)}))
	h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
	if _, err := io.Copy(w, ctxReader{r.Context(), body}); err != nil {
		s.log.Info("raw download cut short", "id", id, "err", err)
	}
}

// downloadName is a safe file name for a message's bytes.
func downloadName(m *inbox.Message) string {
	name := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\"`, r) {
			return '_'
		}
		return r
	}, m.Name)
	if name == "" {
		name = "message"
	}
	return strconv.FormatUint(m.ID, 10) + "-" + name
}

// ctxReader stops reading when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// replay replays message id for principal who and returns the message
// after processing (or as far as it went within Options.ReplayWait).
func (s *Server) replay(ctx context.Context, who string, id uint64) (*inbox.Message, error) {
	if s.deps.Replay == nil {
		return nil, ErrUnavailable
	}
	before, err := s.deps.Inbox.Get(id)
	if err != nil {
		return nil, err
	}
	if before.State != inbox.Failed {
		return nil, fmt.Errorf("%w: message %d is %s; only failed messages are replayed", inbox.ErrState, id, before.State)
	}
	wctx, cancel := context.WithTimeout(ctx, s.opts.ReplayWait)
	defer cancel()
	m, err := s.deps.Replay(wctx, id, who)
	if err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) && ctx.Err() == nil {
		return s.deps.Inbox.Get(id) // still being processed: the workers finish it
	}
	if err != nil {
		return nil, err
	}
	if m == nil {
		return s.deps.Inbox.Get(id)
	}
	return m, nil
}

// replayRecorded is replay, written to the audit log with its outcome.
func (s *Server) replayRecorded(r *http.Request, id uint64) (*inbox.Message, error) {
	m, err := s.replay(r.Context(), Who(r), id)
	e := audit.Entry{Action: audit.ActionReplay, Target: fmt.Sprintf("message %d", id)}
	if m != nil {
		e.Detail = fmt.Sprintf("partner %s, attempt %d: %s", orUnknown(m.Partner), m.Attempts, m.State)
	}
	s.record(r.Context(), r, e, err)
	return m, err
}

func (s *Server) apiReplay(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	m, err := s.replayRecorded(r, id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	status := http.StatusOK
	if m.State == inbox.Received || m.State == inbox.Processing {
		status = http.StatusAccepted
	}
	writeJSON(w, status, m)
}
