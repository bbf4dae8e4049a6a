package gateway

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
)

// x12 processes an X12 file: one pass that checks envelopes, validates
// every set against its spec and maps the accepted ones; then duplicate
// interchanges are dropped, acknowledgements queued and movements posted.
func (w *work) x12(ctx context.Context, body io.Reader, head []byte) (err error) {
	// A 945's mark ends while its acknowledgement is queued; both are
	// committed before the message is finished.
	defer func() {
		if e := w.waitEndings(); e != nil && err == nil {
			err = e
		}
	}()
	first, ok := w.identifyX12(head)
	if !ok {
		return nil
	}
	// The first interchange is marked while the file is read and
	// checked (dropDuplicates takes the answer): the inbox's commit
	// overlaps the work instead of following it.
	if pm := w.msg.Premark; pm != nil && pm.Key == first {
		w.premark = &interchangeMark{key: first, dup: pm.DupOf} // made in the commit that claimed the message
	} else {
		w.premark = w.markInterchangeAsync(first)
	}
	defer w.premark.wait()
	mp := w.g.mapper(w.profile.ID)
	// Sets are decoded here, in order, and mapped on a pool of workers
	// while the reader goes on to the next set (a small file: all on this
	// goroutine).
	small := w.msg.Size <= smallX12File
	pool := mapping.NewPool(runtime.GOMAXPROCS(0))
	if small {
		pool = mapping.NewSerialPool()
	}
	pool.Done = w.g.docs.Release // an 846's arrays serve the next set once it is mapped
	if h := w.g.testHooks.mapped; h != nil {
		pool.Done = func(d documents.Document) { h(d); w.g.docs.Release(d) }
	}
	type mapped struct {
		group *x12.Group
		set   setRef
		place string
	}
	var jobs []mapped
	v := newVerdicts()
	w.verdicts = v
	// Reading, validating and decoding overlap (three goroutines) but in
	// a small file; the callback reads only the envelopes' headers, as
	// CheckConcurrent asks.
	opts := &x12.DecoderOptions{Buffers: &w.g.setBuffers, Reader: x12.ReaderOptions{BufferSize: readBufferSize(w.msg.Size)}}
	check := func(t *x12.Transaction, sr *x12.SetResult) error {
		ic := t.Group.Interchange
		ref := v.next(t.Group)
		w.res.Controls = append(w.res.Controls, ic.Control+"/"+t.Group.Control+"/"+t.Control)
		w.noteDocType("x12/" + t.SetID)
		if x12.IsAcknowledgement(t.Group) {
			w.inboundAck(t)
			return nil
		}
		if ic.IsTest() && !w.profile.TestMode {
			return nil // the interchange is rejected as a whole below
		}
		if sr.Status != x12.StatusAccepted {
			w.setProblems(t, sr)
			return nil
		}
		doc, err := w.g.docs.Decode(t)
		if err != nil {
			w.fail(setPlace(w.msg.Name, t), "", "decoding: %v%s", err, decodeHint(err))
			v.refused[ref] = decodeSegmentErrors(err)
			return nil
		}
		src := mapping.Source{Partner: w.profile.ID, Interchange: ic.Control, InterchangeDate: ic.Date, InterchangeTime: ic.Time, Group: t.Group.Control,
			Transaction: t.Control, FileName: w.msg.Name, Received: w.msg.ReceivedAt}
		pool.Submit(mp, doc, src)
		jobs = append(jobs, mapped{group: t.Group, set: ref, place: setPlace(w.msg.Name, t)})
		return nil
	}
	var rep *x12.Report
	if small {
		rep, err = x12.Check(body, w.g.Specs, opts, check)
	} else {
		rep, err = x12.CheckConcurrent(ctx, body, w.g.Specs, opts, check)
	}
	outcomes := pool.Wait()
	if err != nil {
		return err
	}
	byGroup := map[*x12.Group][]*mapping.Result{}
	for i, o := range outcomes {
		if o.Result != nil {
			w.problems(jobs[i].place+", ", o.Result)
		}
		switch {
		case o.Err == nil && len(o.Result.Problems) > 0 && len(o.Result.Movements) == 0 &&
			(o.Result.Shipment == nil || len(o.Result.Shipment.Lines) == 0): // a 945's movements come once settled
			// on_error: post_good, and no line was good: nothing is taken
			// (an order is not opened, nor replaced, with no lines).
			v.refused[jobs[i].set] = problemSegmentErrors(o.Result)
			o.Result.Release()
		case o.Err == nil:
			byGroup[jobs[i].group] = append(byGroup[jobs[i].group], o.Result)
			v.jobs[o.Result] = jobs[i].set
			if len(o.Result.Problems) > 0 {
				v.noted[jobs[i].set] = problemSegmentErrors(o.Result)
			}
		case !errors.Is(o.Err, mapping.ErrRejected):
			w.fail(jobs[i].place, "", "%v", o.Err)
			v.refused[jobs[i].set] = nil
			v.unsupported[jobs[i].set] = errors.Is(o.Err, mapping.ErrNoMapping)
		default:
			v.refused[jobs[i].set] = problemSegmentErrors(o.Result)
		}
	}
	if rep.Err != nil {
		w.fail(w.msg.Name, "", "%v", rep.Err)
	}
	fresh := w.dropDuplicates(rep)
	if w.out.State == inbox.Duplicate || len(rep.Interchanges) > 0 && len(fresh) == 0 {
		return nil // nothing new: no acknowledgement (a collision is a failure the operator sees)
	}
	w.envelopeProblems(rep)
	// Post the sets of interchanges seen for the first time, unless their
	// interchange or group envelope is bad: the partner is told (TA1,
	// AK9 R) that those were rejected, and will send them again.
	var docs, orders, shipments []*mapping.Result
	posting := map[*mapping.Result]bool{}
	for _, icr := range rep.Interchanges {
		if !fresh[icr.Interchange] || !icr.Interchange.Accepted() {
			continue
		}
		for _, g := range icr.Groups {
			if len(g.Group.Errors) != 0 {
				continue
			}
			for _, res := range byGroup[g.Group] {
				posting[res] = true
				if res.Order != nil {
					orders = append(orders, res)
				} else if res.Shipment != nil {
					shipments = append(shipments, res) // a 945: settled against its order (shipments945.go)
				} else {
					docs = append(docs, res)
				}
			}
		}
	}
	// Not posted: sets of a rejected interchange or group, of a test
	// interchange refused.
	for res := range v.jobs {
		if !posting[res] {
			v.notPost[res] = true
		}
	}
	if err := w.postAll(ctx, docs); err != nil {
		return err
	}
	if err := w.postOrders(ctx, orders); err != nil {
		return err
	}
	if err := w.postShipments(ctx, shipments); err != nil {
		return err
	}
	// The acknowledgement is queued once every set's outcome is known:
	// a set we did not take is never reported accepted (see the package
	// doc).
	if err := w.queueAcks(v.settle(rep, fresh)); err != nil {
		return err
	}
	if w.orderDup && len(w.out.Errors) == 0 && w.res.Movements == 0 && len(docs) == 0 {
		// Every document re-sends an order as it stands: a duplicate of
		// the message that set it (acknowledged, nothing posted).
		w.out.State, w.out.DuplicateOf = inbox.Duplicate, w.orderDupOf
	}
	return nil
}

// smallX12File is the size up to which an X12 file is checked and mapped
// on the worker's goroutine alone (x12.Check, mapping.NewSerialPool):
// its few sets take less time than handing each event and set between
// goroutines would (the inbox keeps such files in its record, too).
const smallX12File = 64 << 10

// readBufferSize is the initial X12 read buffer for a file of size
// bytes: the reader's default (256 KiB) for a large file, the file and a
// little more for a small one, so that a 1 KiB file does not allocate
// (and clear) 256 KiB. The buffer grows when a segment needs it.
func readBufferSize(size int64) int {
	return int(min(max(size+64, 4<<10), 256<<10))
}

// noteDocType records the document types a file holds: "x12/846", or
// "x12/846,x12/856" for a mixed file.
func (w *work) noteDocType(t string) {
	if w.res.DocType == "" {
		w.res.DocType = t
		return
	}
	for _, have := range strings.Split(w.res.DocType, ",") {
		if have == t {
			return
		}
	}
	w.res.DocType += "," + t
}

// identifyX12 finds the partner of an X12 file: the transport's identity
// when there is one (the ISA sender must then be one of that partner's
// ids), else the ISA sender. It returns the first ISA's interchange key
// (interchangeKey) and whether the partner was found.
func (w *work) identifyX12(head []byte) (string, bool) {
	seg, err := x12.NewReader(bytes.NewReader(head), &x12.ReaderOptions{BufferSize: readBufferSize(int64(len(head)))}).Next()
	if err != nil || seg.ID != "ISA" {
		w.fail(w.msg.Name, x12.NoteBadContent, "cannot read the ISA: %v", err)
		return "", false
	}
	key := isaKey(seg)
	qual, id := strings.TrimSpace(seg.Text(5)), strings.TrimSpace(seg.Text(6))
	if w.msg.Partner != "" {
		if !w.partnerByID() {
			return "", false
		}
		if !slices.Contains(w.profile.Identities.ISA, partners.ISAID{Qualifier: qual, ID: id}) {
			w.fail(w.msg.Name+": ISA06", x12.NoteBadSenderID, "interchange sender %s/%s is not one of partner %s's ISA ids", qual, id, w.profile.ID)
			return "", false
		}
		return key, true
	}
	p, err := w.g.Partners().ByISA(qual, id)
	if err != nil {
		w.fail(w.msg.Name+": ISA06", x12.NoteBadSenderID, "no partner has the ISA id %s/%s", qual, id)
		return "", false
	}
	w.profile = p
	w.msg.Partner = p.ID
	if err := w.g.Inbox.SetPartner(w.msg.ID, p.ID); err != nil {
		w.fail(w.msg.Name, "", "recording the partner: %v", err)
		return "", false
	}
	return key, true
}

// isaKey is interchangeKey of the interchange an ISA segment opens.
func isaKey(seg *x12.Segment) string {
	t := func(i int) string { return strings.TrimSpace(seg.Text(i)) }
	return strings.Join([]string{t(5), t(6), t(7), t(8), t(13), t(9), t(10)}, "|")
}

// interchangeMark is an interchange mark (inbox MarkInterchange) being
// committed while the file is processed.
type interchangeMark struct {
	key  string
	dup  uint64
	err  error
	done chan struct{}
	used bool // dropDuplicates took its answer
}

// headInterchangeKey is the interchange key of the ISA a body starts
// with, or "" when it does not start with one (inbox.InterchangeMarker's
// keyOf). identifyX12 reads the same key and checks the sender; a
// message it fails gives its mark up when it is finished as failed.
func headInterchangeKey(head []byte) string {
	if !x12.LooksLikeX12(head) {
		return ""
	}
	seg, err := x12.NewReader(bytes.NewReader(head), &x12.ReaderOptions{BufferSize: readBufferSize(int64(len(head)))}).Next()
	if err != nil || seg.ID != "ISA" {
		return ""
	}
	return isaKey(seg)
}

// markInterchangeAsync starts marking the interchange key of the message.
func (w *work) markInterchangeAsync(key string) *interchangeMark {
	m := &interchangeMark{key: key, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		m.dup, m.err = w.g.Inbox.MarkInterchange(w.msg.ID, key)
	}()
	return m
}

// wait waits for the mark to be committed (or to fail); a mark made when
// the message was claimed (done nil) is.
func (m *interchangeMark) wait() {
	if m.done != nil {
		<-m.done
	}
}

// dropDuplicates marks each interchange in the inbox; it returns the
// interchanges seen for the first time. An interchange seen before (same
// sender, receiver, ISA13, date and time) is a duplicate when its content
// is the same, and an error naming both messages when it is not (the
// partner reused its control numbers): never silently dropped. When every
// interchange is a duplicate, the message is one.
func (w *work) dropDuplicates(rep *x12.Report) map[*x12.Interchange]bool {
	fresh := map[*x12.Interchange]bool{}
	var dupOf uint64
	for _, icr := range rep.Interchanges {
		ic := icr.Interchange
		key := interchangeKey(ic)
		var dup uint64
		var err error
		if pm := w.premark; pm != nil && !pm.used && pm.key == key {
			pm.wait()
			pm.used = true
			dup, err = pm.dup, pm.err
		} else {
			dup, err = w.g.Inbox.MarkInterchange(w.msg.ID, key)
		}
		switch {
		case err != nil:
			w.fail(w.msg.Name, "", "recording interchange %s: %v", ic.Control, err)
		case dup != 0:
			switch same, known := w.sameInterchange(dup, key); {
			case !known:
				fresh[ic] = true // the ledger compares it with what was posted (postedBefore)
			case same:
				dupOf = dup
			}
		default:
			fresh[ic] = true
		}
	}
	if len(rep.Interchanges) > 0 && len(fresh) == 0 && dupOf != 0 && len(w.out.Errors) == 0 {
		w.out.State, w.out.DuplicateOf = inbox.Duplicate, dupOf
	}
	return fresh
}

// interchangeKey identifies an interchange: sender, receiver, ISA13, ISA09
// and ISA10.
func interchangeKey(ic *x12.Interchange) string {
	return strings.Join([]string{ic.SenderQualifier, ic.SenderID, ic.ReceiverQualifier, ic.ReceiverID, ic.Control, ic.Date, ic.Time}, "|")
}

// sameInterchange reports whether the interchange key in this message has
// the content it had in message first; when it has not, it records an
// error naming both messages. The content is compared segment by segment
// (a resend with other line ends or spacing is the same); the envelope's
// dates and flags are not content. known is false when the first
// message's bytes are gone (retention): the interchange then goes on to
// the ledger, which compares it with what was posted. Duplicates are
// rare: both files are read again only then.
func (w *work) sameInterchange(first uint64, key string) (same, known bool) {
	this, err := w.interchangeDigest(w.msg.ID, key)
	if err != nil {
		w.fail(w.msg.Name, "", "comparing interchange %s with message %d: %v", key, first, err)
		return false, true
	}
	prev, err := w.interchangeDigest(first, key)
	if err != nil {
		w.g.log.Warn("interchange received before, its first message cannot be read: compared with the ledger instead",
			"message", w.msg.ID, "first", first, "interchange", key, "err", err)
		return false, false
	}
	if prev == this {
		return true, true
	}
	name := "?"
	if m, err := w.g.Inbox.Get(first); err == nil {
		name = m.Name
	}
	ic := strings.Split(key, "|")
	w.fail(fmt.Sprintf("%s: interchange %s (ISA09 %s, ISA10 %s)", w.msg.Name, ic[4], ic[5], ic[6]), "",
		"control number collision: message %d (%s) carried interchange %s of the same date and time with other content; "+
			"nothing of this interchange was posted. Ask partner %s to send it again under a new interchange control number",
		first, name, ic[4], w.profile.ID)
	return false, true
}

// interchangeDigest hashes the content of the interchange with key in
// message id: every segment between the ISA and the IEA but the GS dates
// (GS01 and GS06 count), element by element.
func (w *work) interchangeDigest(id uint64, key string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	body, err := w.g.Inbox.Body(id)
	if err != nil {
		return sum, err
	}
	defer body.Close()
	r := x12.NewReader(bufio.NewReaderSize(body, 64<<10), nil)
	h := sha256.New()
	in, found := false, false
	for {
		seg, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sum, err
		}
		switch seg.ID {
		case "ISA":
			in = isaKey(seg) == key
			found = found || in
			continue
		case "IEA":
			in = false
			continue
		case "GE":
			continue
		}
		if !in {
			continue
		}
		if seg.ID == "GS" {
			fmt.Fprintf(h, "GS\x1f%s\x1f%s\x1e", seg.Element(1), seg.Element(6))
			continue
		}
		h.Write([]byte(seg.ID))
		for i := 1; i <= seg.Len(); i++ {
			h.Write([]byte{0x1f})
			h.Write(seg.Element(i))
		}
		h.Write([]byte{0x1e})
	}
	if !found {
		return sum, fmt.Errorf("message %d holds no interchange %s", id, key)
	}
	h.Sum(sum[:0])
	return sum, nil
}

// envelopeProblems records interchange and group problems, and test data
// from a partner not in test mode.
func (w *work) envelopeProblems(rep *x12.Report) {
	for _, icr := range rep.Interchanges {
		ic := icr.Interchange
		if ic.IsTest() && !w.profile.TestMode {
			w.fail(fmt.Sprintf("%s: interchange %s, ISA15", w.msg.Name, ic.Control), "", "test interchange (ISA15 = T) from partner %s, whose profile does not accept test data", w.profile.ID)
		}
		for _, e := range ic.Errors {
			w.fail(envelopePlace(w.msg.Name, e), e.Code, "%s", e.Msg)
		}
		for _, g := range icr.Groups {
			for _, e := range g.Group.Errors {
				w.fail(envelopePlace(w.msg.Name, e), e.Code, "group %s: %s", g.Group.Control, e.Msg)
			}
		}
	}
}

// setProblems records why a set was rejected.
func (w *work) setProblems(t *x12.Transaction, sr *x12.SetResult) {
	base := setPlace(w.msg.Name, t)
	for _, e := range sr.Envelope {
		w.fail(envelopePlace(w.msg.Name, e), e.Code, "set %s %s: %s", t.SetID, t.Control, e.Msg)
	}
	for _, se := range sr.Segments {
		place := fmt.Sprintf("%s, segment %d (%s), line %d", base, se.Position, se.SegmentID, se.Pos.Line)
		if len(se.Elements) == 0 {
			w.fail(place, se.Code, "%s", se.Msg)
		}
		for _, ee := range se.Elements {
			w.fail(fmt.Sprintf("%s, element %d", place, ee.Position), ee.Code, "%s", ee.Msg)
		}
	}
	if len(sr.Envelope) == 0 && len(sr.Segments) == 0 {
		w.fail(base, strings.Join(sr.Codes, ","), "transaction set %s %s not accepted", t.SetID, t.Control)
	}
}

func setPlace(name string, t *x12.Transaction) string {
	return fmt.Sprintf("%s: set %s %s (interchange %s, group %s)", name, t.SetID, t.Control, t.Group.Interchange.Control, t.Group.Control)
}

func envelopePlace(name string, e x12.EnvelopeError) string {
	place := fmt.Sprintf("%s: line %d", name, e.Pos.Line)
	if e.Segment == "" { // the input ended, or no segment applies
		return place
	}
	place += ", " + e.Segment
	if e.Element > 0 {
		place += fmt.Sprintf("%02d", e.Element)
	}
	return place
}

// inboundAck records a partner's 997/999 against what we sent them.
func (w *work) inboundAck(t *x12.Transaction) {
	var group, status string
	for i := range t.Segments {
		s := &t.Segments[i]
		switch s.ID {
		case "AK1":
			group = s.Text(2)
		case "AK9":
			status = s.Text(1)
		}
	}
	state := outbox.AckRejected
	switch status {
	case x12.StatusAccepted:
		state = outbox.AckAccepted
	case x12.StatusAcceptedErrors, x12.StatusPartial:
		state = outbox.AckAcceptedErrors
	}
	id, err := w.g.Outbox.RecordAck(outbox.AckReport{Partner: w.profile.ID, Group: group, State: state,
		Detail: "AK9 " + status, Message: w.msg.ID})
	if err != nil {
		w.fail(setPlace(w.msg.Name, t), "", "recording the acknowledgement: %v", err)
		return
	}
	if id != 0 {
		if err := w.orderAck(id, state); err != nil {
			w.fail(setPlace(w.msg.Name, t), "", "recording the acknowledgement on its order: %v", err)
			return
		}
	}
	w.res.Documents = append(w.res.Documents, "x12/"+t.SetID)
	if id == 0 {
		w.g.log.Warn("acknowledgement matches nothing we sent", "partner", w.profile.ID, "group", group, "message", w.msg.ID)
	}
}

// queueAcks queues the acknowledgements the partner's profile asks for, on
// every outbound transport of the partner. Queuing is keyed by the inbox
// message, so processing a message again queues nothing new.
func (w *work) queueAcks(rep *x12.Report) error {
	kind := x12.AckKind(w.profile.Acks.Send)
	if w.profile.Acks.Send == partners.AckNone || len(rep.Interchanges) == 0 {
		return nil
	}
	numbers := 0
	for _, icr := range rep.Interchanges {
		numbers++
		for _, g := range icr.Groups {
			if !x12.IsAcknowledgement(g.Group) {
				numbers++
			}
		}
	}
	outs := w.profile.Transports.Outbound
	now := w.g.now()
	if len(outs) == 0 {
		w.g.log.Warn("partner has no outbound transport: acknowledgement not sent", "partner", w.profile.ID, "message", w.msg.ID)
		return nil
	}
	// The numbers are reserved and the acknowledgements queued in one
	// commit.
	var unanswerable error // the partner's envelope cannot be answered
	label := ackLabel(rep, kind)
	_, ids, err := outbox.EnqueueNumbered(w.g.Outbox, w.profile.ID, outbox.ControlInterchange, numbers, func(first int64) ([]*outbox.Message, []byte, error) {
		unanswerable = nil
		var buf bytes.Buffer
		n, err := x12.WriteAcks(&buf, rep, x12.AckOptions{Kind: kind, Control: first, Time: now})
		if err != nil {
			unanswerable = err
			return nil, nil, err
		}
		if n == 0 {
			return nil, nil, nil
		}
		ms := make([]*outbox.Message, len(outs))
		for i, t := range outs {
			ms[i] = &outbox.Message{
				Key: ackKey(w.msg, i), Partner: w.profile.ID, Transport: t.Kind(), Kind: label,
				Name: fmt.Sprintf("%s-%09d.x12", label, first), InReplyTo: w.msg.ID, Interchange: fmt.Sprintf("%09d", first),
			}
		}
		return ms, buf.Bytes(), nil
	})
	if unanswerable != nil {
		// A malformed ISA or GS: say so; this is not an interruption to
		// retry.
		w.fail(w.msg.Name, x12.NoteBadContent, "no acknowledgement can be written: %v", unanswerable)
		return nil
	}
	if err != nil {
		return err
	}
	w.res.Acks = append(w.res.Acks, ids...)
	return nil
}

// ackKey is the outbox key of message m's acknowledgement on its
// outbound transport i. The first processing's is ack:<id>:<i>; a
// replay's names the last attempt finished before it too
// (ack:<id>:after<n>:<i>), so that a replay queues a new
// acknowledgement with its own outcome (a set rejected, then taken once
// the profile was fixed, is acknowledged again, accepted), while a
// processing cut short by a crash and done again queues the same one
// once (the attempts it did not finish are not in the history).
func ackKey(m *inbox.Message, i int) string {
	if len(m.History) == 0 {
		return fmt.Sprintf("ack:%d:%d", m.ID, i)
	}
	return fmt.Sprintf("ack:%d:after%d:%d", m.ID, m.History[len(m.History)-1].N, i)
}

// ackLabel names what an acknowledgement file holds: 997, 999 or TA1.
func ackLabel(rep *x12.Report, kind x12.AckKind) string {
	for _, icr := range rep.Interchanges {
		for _, g := range icr.Groups {
			if !x12.IsAcknowledgement(g.Group) {
				return string(kind.Resolve(g.Group.Version))
			}
		}
	}
	return "TA1"
}
