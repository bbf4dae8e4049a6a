package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dockside-edi/dockside/divergence"
	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
	"github.com/dockside-edi/dockside/partners"
)

// work is one message being processed.
type work struct {
	g       *Gateway
	msg     *inbox.Message
	profile *partners.Profile
	out     inbox.Outcome
	res     inbox.Result
	// orderDup reports an order document that repeats its order as it
	// stands (nothing posted for it); orderDupOf is the message that set
	// that order (zero when unknown: an order filled in from the ledger).
	orderDup   bool
	orderDupOf uint64
	// keepRepeated, when set, is the source key prefix of the events
	// whose ids repeated movements name in the result (Result.Repeated).
	keepRepeated string
	// verdicts collects what became of an X12 file's sets (nil for a
	// flat file): the acknowledgement reports it.
	verdicts *verdicts
	// notPosted names the documents the ledger refused (postAll).
	notPosted map[*mapping.Result]bool
	// endings are the 945s' pending marks ending in the background
	// (orders.Tx.EndBackground), waited for before the message is done.
	endings []*orders.Ending
	// premark is the mark of an X12 file's first interchange, committed
	// while the file is read (dropDuplicates takes its answer).
	premark *interchangeMark
}

// waitEndings waits for the pending marks ending in the background and
// returns the first error.
func (w *work) waitEndings() error {
	var first error
	for _, e := range w.endings {
		if err := e.Wait(); err != nil && first == nil {
			first = err
		}
	}
	w.endings = nil
	return first
}

func (w *work) fail(place, code, format string, args ...any) {
	w.out.Errors = append(w.out.Errors, inbox.Problem{Place: place, Code: code, Msg: fmt.Sprintf(format, args...)})
}

// Process runs the pipeline on one claimed message and returns how it
// ended: identify the partner, parse and validate, queue the
// acknowledgements, map, post to the ledger. It does not finish the claim
// (see Finish). An error means processing was interrupted (the context
// ended, a store failed): the message stays claimed and is processed again
// after a restart.
func (g *Gateway) Process(ctx context.Context, m *inbox.Message) (inbox.Outcome, error) {
	w := &work{g: g, msg: m}
	body, err := g.Inbox.Body(m.ID)
	if err != nil {
		return inbox.Outcome{}, err
	}
	defer body.Close()
	// 64 KiB, or the whole message when smaller: events decode in one
	// pass from this buffer (issue 18).
	size := 64 << 10
	if m.Size >= 0 && m.Size < int64(size) {
		size = int(m.Size) + 1
	}
	br := bufio.NewReaderSize(body, max(x12.HeadSize, size))
	head, _ := br.Peek(x12.HeadSize)
	switch {
	case isEvents(m):
		err = w.events(ctx, br)
	case x12.LooksLikeX12(head):
		err = w.x12(ctx, br, head)
	default:
		err = w.flat(ctx, br)
	}
	if err != nil {
		return inbox.Outcome{}, err
	}
	if w.out.State == "" {
		w.out.State = inbox.Done
		if len(w.out.Errors) > 0 {
			w.out.State = inbox.Failed
		}
	}
	w.out.Result = &w.res
	return w.out, nil
}

// Finish records how a message ended and tells the finish hooks.
func (g *Gateway) Finish(m *inbox.Message, o inbox.Outcome) error {
	if err := g.Inbox.Finish(m.ID, o); err != nil {
		return err
	}
	g.finished(m, o)
	return nil
}

// finished tells the waiters and the finish hooks that m ended with o
// (recorded).
func (g *Gateway) finished(m *inbox.Message, o inbox.Outcome) {
	g.waits.done(m.ID)
	g.log.Info("message processed", "id", m.ID, "partner", m.Partner, "name", m.Name, "state", o.State,
		"movements", resultMovements(o.Result), "errors", len(o.Errors))
	g.mu.RLock()
	hooks := slices.Clone(g.hooks)
	g.mu.RUnlock()
	for _, h := range hooks {
		h(m, o)
	}
}

func resultMovements(r *inbox.Result) int {
	if r == nil {
		return 0
	}
	return r.Movements
}

// partnerByID sets the work's profile from the message's partner.
func (w *work) partnerByID() bool {
	if w.msg.Partner == "" {
		return false
	}
	p, err := w.g.Partners().ByID(w.msg.Partner)
	if err != nil {
		w.fail(w.msg.Name, "", "partner %q has no profile: %v", w.msg.Partner, err)
		return false
	}
	w.profile = p
	return true
}

// flat processes a CSV, fixed-width or Excel file.
func (w *work) flat(ctx context.Context, body io.Reader) error {
	if !w.partnerByID() {
		if w.msg.Partner == "" {
			w.fail(w.msg.Name, "", "not X12, and no transport identity says which partner sent it")
		}
		return nil
	}
	mp := w.g.mapper(w.profile.ID)
	t, ok := mp.FlatType(w.msg.Name)
	if !ok {
		w.fail(w.msg.Name, "", "not X12 (it does not start with an ISA), and partner %s's profile has no csv, fixed or xlsx document matching this file name", w.profile.ID)
		return nil
	}
	w.res.DocType = string(t)
	src := mapping.Source{Partner: w.profile.ID, FileHash: w.msg.SHA256, FileName: w.msg.Name, Received: w.msg.ReceivedAt}
	res, err := mp.Flat(t, body, src)
	if err != nil && !errors.Is(err, mapping.ErrRejected) {
		w.fail(w.msg.Name, "", "%v", err)
		return nil
	}
	w.problems("", res)
	return w.post(ctx, res)
}

// problems records a mapping result's problems; prefix places them in the
// file (flat file places already name it).
func (w *work) problems(prefix string, res *mapping.Result) {
	for _, p := range res.Problems {
		w.out.Errors = append(w.out.Errors, inbox.Problem{Place: prefix + p.Place, Msg: problemText(p)})
	}
}

func problemText(p mapping.Problem) string {
	msg := p.Reason
	if p.Field != "" {
		if p.Value != "" {
			return fmt.Sprintf("%s %q: %s", p.Field, p.Value, msg)
		}
		return p.Field + ": " + msg
	}
	return msg
}

// post posts a mapped document's movements.
func (w *work) post(ctx context.Context, res *mapping.Result) error {
	return w.postAll(ctx, []*mapping.Result{res})
}

// batchPoster is a ledger that posts documents together (PostAll of
// ledger/postgres): each all or nothing, in one transaction.
type batchPoster interface {
	PostAll(ctx context.Context, docs []ledger.Document) ([]ledger.PostResult, []error)
}

// postAll posts documents, each all or nothing, all at once so that the
// ledger's group commit shares the fsyncs between them. A ledger that
// posts documents together gets them in one call once each is ready (a
// 200,000-item 846's sets in one transaction on PostgreSQL, rather than
// the first to arrive alone and the others after it).
func (w *work) postAll(ctx context.Context, docs []*mapping.Result) error {
	results := make([]ledger.PostResult, len(docs))
	errs := make([]error, len(docs))
	together, _ := w.g.Ledger.(batchPoster)
	// For together: the documents checked, and those ready to post.
	started, ready := make([]bool, len(docs)), make([]bool, len(docs))
	legacy := make([]int, len(docs)) // movements posted before under the legacy key
	var wg, beside sync.WaitGroup
	var panicked atomic.Pointer[goroutinePanic]
	// The partner's own figures are copied out now (the postings release
	// the documents to their mapper) and kept beside the posting, not
	// before it: a 200,000-item 846's figures take PostgreSQL about as
	// long as its movements.
	if figures := w.compared(docs); len(figures) > 0 {
		beside.Go(func() {
			defer catchPanic(&panicked, "keeping compared figures")
			w.keepCompared(figures)
		})
	}
	for i, res := range docs {
		if len(res.Movements) == 0 {
			continue
		}
		wg.Add(1)
		started[i] = true
		go func() {
			defer wg.Done()
			if together == nil {
				defer res.Release() // Post has returned and keeps no reference: the mapper may reuse the movements
			}
			defer catchPanic(&panicked, "posting")
			if h := w.g.testHooks.posting; h != nil {
				h(res)
			}
			if legacy[i], errs[i] = w.postedBefore(ctx, res); errs[i] == nil && len(res.Movements) > 0 {
				if errs[i] = w.checkReceipts(ctx, res); errs[i] == nil {
					if together != nil {
						ready[i] = true
						return
					}
					results[i], errs[i] = w.g.Ledger.Post(ctx, res.Document())
				}
			}
		}()
	}
	wg.Wait()
	if together != nil {
		var batch []ledger.Document
		var at []int
		for i, res := range docs {
			if ready[i] {
				batch, at = append(batch, res.Document()), append(at, i)
			}
		}
		if len(batch) > 0 {
			rs, es := together.PostAll(ctx, batch)
			for k, i := range at {
				results[i], errs[i] = rs[k], es[k]
			}
		}
		for i, res := range docs {
			if started[i] {
				res.Release() // PostAll has returned and keeps no reference
			}
		}
	}
	beside.Wait()
	if p := panicked.Load(); p != nil {
		panic(p) // in the worker's goroutine, where processRecovered recovers it
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, res := range docs {
		w.res.Documents = append(w.res.Documents, res.Key)
		if errs[i] != nil {
			if w.notPosted == nil {
				w.notPosted = map[*mapping.Result]bool{}
			}
			w.notPosted[res] = true
			if ut := isUnknownTransfer(errs[i]); ut != nil {
				w.receiptRefused(res, ut)
				continue
			}
			w.fail(res.Key, "", "ledger: %v", errs[i])
			w.refuse(res, errs[i])
			continue
		}
		pr := results[i]
		w.res.Movements += pr.Posted
		w.res.Duplicates += len(pr.Duplicates) + legacy[i]
		if w.keepRepeated != "" {
			w.res.Repeated = repeatedIDs(w.keepRepeated, pr.Duplicates, w.res.Repeated)
		}
		w.res.Stale += len(pr.Stale)
		w.res.Absorbed += len(pr.Absorbed)
		w.res.Sequence = max(w.res.Sequence, pr.Seq)
	}
	return nil
}

// compared copies the partner's own figures out of its documents
// (quantities its profile maps to the compare bucket).
func (w *work) compared(docs []*mapping.Result) []divergence.Reported {
	var figures []divergence.Reported
	now := w.g.now().UTC()
	for _, res := range docs {
		for _, c := range res.Compare {
			figures = append(figures, divergence.Reported{Partner: w.profile.ID, SKU: c.SKU, Location: c.Location, Quantity: c.Quantity, At: now})
		}
	}
	return figures
}

// keepCompared keeps the partner's own figures for the divergence report.
func (w *work) keepCompared(figures []divergence.Reported) {
	if err := w.g.Divergence.Checker.Store.Report(figures); err != nil {
		w.g.log.Error("keeping the partner's figures for the divergence report", "partner", w.profile.ID, "err", err)
	}
}

// goroutinePanic is a panic of a goroutine the pipeline started, raised
// again in the worker's goroutine once the others have stopped.
type goroutinePanic struct {
	Goroutine string // what it was doing
	Value     any    // what was passed to panic
	Stack     []byte // of the goroutine that panicked
}

// Error reports the panic's value and the goroutine.
func (p *goroutinePanic) Error() string {
	return fmt.Sprintf("%v (in a %s goroutine)", p.Value, p.Goroutine)
}

// catchPanic, deferred in a goroutine, recovers a panic into *first
// (unless another goroutine's came first).
func catchPanic(first *atomic.Pointer[goroutinePanic], where string) {
	if r := recover(); r != nil {
		first.CompareAndSwap(nil, &goroutinePanic{Goroutine: where, Value: r, Stack: debug.Stack()})
	}
}
