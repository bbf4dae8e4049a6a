package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/dockside-edi/dockside/edi/flat"
	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
)

// Limits of the message detail.
const (
	maxParsedSegments = 2000
	maxParsedRows     = 50
	maxDetailMoves    = 1000     // movements listed; more: see the history
	maxPostingsBack   = 32       // postings searched for a message's documents
	maxXLSXPreview    = 32 << 20 // workbooks larger than this are not previewed
)

// messageDetail is everything about one message: its record, its bytes
// (shown and parsed), what it posted and the acknowledgements it queued.
type messageDetail struct {
	Message   *inbox.Message    `json:"message"`
	Raw       rawView           `json:"raw"`
	Parsed    *parsedView       `json:"parsed,omitempty"`
	Movements []movementView    `json:"movements"`
	MoveNote  string            `json:"movements_note,omitempty"`
	Acks      []*outbox.Message `json:"acks"`
	CanReplay bool              `json:"can_replay"`
	// ErrorAnchors holds, for each of the message's errors, the anchor of
	// the segment ("S16") or row ("R6") it points at in the parsed view;
	// "" when it names only the file (or what it names is not shown).
	ErrorAnchors []string `json:"error_anchors"`
}

// rawView is the start of a message's bytes, as text.
type rawView struct {
	Size      int64  `json:"size"`
	Shown     int    `json:"shown"`
	Truncated bool   `json:"truncated"`
	Binary    bool   `json:"binary"`
	Text      string `json:"text,omitempty"`
	URL       string `json:"url"`
	Problem   string `json:"problem,omitempty"`
}

// parsedView is a message as read: X12 segments one per line with their
// places, or the first rows of a flat file.
type parsedView struct {
	Format    string        `json:"format"` // x12, csv, fixed, xlsx, text
	Sets      []string      `json:"sets,omitempty"`
	Segments  []segmentView `json:"segments,omitempty"`
	Rows      []rowView     `json:"rows,omitempty"`
	Truncated bool          `json:"truncated"`
	Problem   string        `json:"problem,omitempty"`
}

type segmentView struct {
	Index    int    `json:"index"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	SetIndex int    `json:"set_index,omitempty"`
	ID       string `json:"id"`
	Text     string `json:"text"`
	// Flagged marks a segment an error points at.
	Flagged bool   `json:"flagged,omitempty"`
	setKey  string // "846 0001|ISA13|GS06" of the segment's set
}

type rowView struct {
	Line  int      `json:"line"`
	Cells []string `json:"cells"`
	// Flagged marks a row an error points at; FlaggedCell is the cell it
	// names, from 1 (0: the row).
	Flagged     bool  `json:"flagged,omitempty"`
	FlaggedCell int   `json:"flagged_cell,omitempty"`
	cols        []int // byte column of each cell (CSV)
}

func (s *Server) messageDetail(ctx context.Context, id uint64) (*messageDetail, error) {
	m, err := s.deps.Inbox.Get(id)
	if err != nil {
		return nil, err
	}
	d := &messageDetail{Message: m, Movements: []movementView{}, Acks: []*outbox.Message{},
		CanReplay: m.State == inbox.Failed && !m.Purged && s.deps.Replay != nil}
	d.Raw = rawView{Size: m.Size, URL: fmt.Sprintf("/api/v1/messages/%d/raw", m.ID)}
	if m.Purged {
		d.Raw.Problem = "retention removed this message's bytes"
	} else {
		s.fillRaw(d)
		d.Parsed = s.parse(ctx, m)
	}
	d.ErrorAnchors = make([]string, len(m.Errors))
	if d.Parsed != nil {
		targets := errorTargets(m)
		flagSegments(d.Parsed, targets, d.ErrorAnchors)
		flagRows(d.Parsed, targets, d.ErrorAnchors)
	}
	s.fillMovements(ctx, d)
	if m.Result != nil {
		for _, ackID := range m.Result.Acks {
			if a, err := s.deps.Outbox.Get(ackID); err == nil {
				d.Acks = append(d.Acks, a)
			}
		}
	}
	return d, nil
}

// fillRaw reads the first Options.MaxRawView bytes.
func (s *Server) fillRaw(d *messageDetail) {
	body, err := s.deps.Inbox.Body(d.Message.ID)
	if err != nil {
		d.Raw.Problem = err.Error()
		return
	}
	defer body.Close()
	buf, err := io.ReadAll(io.LimitReader(body, int64(s.opts.MaxRawView)+1))
	if err != nil {
		d.Raw.Problem = err.Error()
		return
	}
	if len(buf) > s.opts.MaxRawView {
		buf, d.Raw.Truncated = buf[:s.opts.MaxRawView], true
	}
	d.Raw.Shown = len(buf)
	if looksBinary(buf) {
		d.Raw.Binary = true
		return
	}
	d.Raw.Text = strings.ToValidUTF8(string(buf), "\uFFFD")
}

// looksBinary: a NUL byte, or mostly invalid UTF-8, in the first 8 KiB.
func looksBinary(b []byte) bool {
	head := b[:min(len(b), 8192)]
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	bad := 0
	for len(head) > 0 {
		r, n := utf8.DecodeRune(head)
		if r == utf8.RuneError && n == 1 {
			bad++
		}
		head = head[n:]
	}
	return bad > len(b[:min(len(b), 8192)])/10
}

// parse reads the message as X12 or as the flat file its profile says.
func (s *Server) parse(ctx context.Context, m *inbox.Message) *parsedView {
	body, err := s.deps.Inbox.Body(m.ID)
	if err != nil {
		return &parsedView{Format: "text", Problem: err.Error()}
	}
	defer body.Close()
	br := bufio.NewReaderSize(ctxReader{ctx, body}, x12.HeadSize)
	head, _ := br.Peek(x12.HeadSize)
	if x12.LooksLikeX12(head) {
		return parseX12(br)
	}
	switch s.flatType(m) {
	case partners.DocXLSX:
		if m.Size > maxXLSXPreview {
			return &parsedView{Format: "xlsx", Problem: "workbook too large to preview; download it"}
		}
		return parseXLSX(br)
	case partners.DocCSV:
		return parseCSV(&lineCapReader{r: br, max: maxPreviewLine}, s.csvComma(m))
	default:
		if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
			return parseXLSX(br)
		}
		return parseLines(br)
	}
}

func parseX12(r io.Reader) *parsedView {
	v := &parsedView{Format: "x12"}
	xr := x12.NewReader(r, nil)
	var isa13, gs06, set string
	for {
		seg, err := xr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			v.Problem = err.Error()
			break
		}
		if len(v.Segments) == maxParsedSegments {
			v.Truncated = true
			break
		}
		switch seg.ID {
		case "ISA":
			isa13, gs06, set = strings.TrimSpace(seg.Text(13)), "", ""
		case "GS":
			gs06, set = seg.Text(6), ""
		case "ST":
			set = seg.Text(1) + " " + seg.Text(2)
			v.Sets = append(v.Sets, set)
		}
		sv := segmentView{Index: seg.Pos.Index, Line: seg.Pos.Line, Column: seg.Pos.Column,
			SetIndex: seg.Pos.SetIndex, ID: seg.ID, Text: strings.ToValidUTF8(string(seg.Raw()), "\uFFFD")}
		if seg.Pos.SetIndex > 0 {
			sv.setKey = set + "|" + isa13 + "|" + gs06
		}
		v.Segments = append(v.Segments, sv)
	}
	return v
}

// flatType is the flat document type the partner's profile gives the
// message's file name, if any.
func (s *Server) flatType(m *inbox.Message) partners.DocType {
	if m.Result != nil && partners.DocType(m.Result.DocType).IsFlat() {
		return partners.DocType(m.Result.DocType)
	}
	p, err := s.partners().ByID(m.Partner)
	if err != nil {
		return ""
	}
	t, _ := mapping.New(p).FlatType(m.Name)
	return t
}

// csvComma is the delimiter of the partner's csv document for the file.
func (s *Server) csvComma(m *inbox.Message) rune {
	if p, err := s.partners().ByID(m.Partner); err == nil {
		if d, ok := p.Document(partners.DocCSV, m.Name); ok && d.Mapping.CSV != nil {
			return d.Mapping.CSV.Comma()
		}
	}
	return ','
}

func parseCSV(r io.Reader, comma rune) *parsedView {
	v := &parsedView{Format: "csv"}
	cr := csv.NewReader(r)
	cr.Comma, cr.FieldsPerRecord, cr.LazyQuotes, cr.ReuseRecord = comma, -1, true, false
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			v.Problem = err.Error()
			break
		}
		if len(v.Rows) == maxParsedRows {
			v.Truncated = true
			break
		}
		line, _ := cr.FieldPos(0)
		row := rowView{Line: line, Cells: rec, cols: make([]int, len(rec))}
		for i := range rec {
			_, row.cols[i] = cr.FieldPos(i)
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

func parseLines(r io.Reader) *parsedView {
	v := &parsedView{Format: "text"}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(v.Rows) == maxParsedRows {
			v.Truncated = true
			break
		}
		v.Rows = append(v.Rows, rowView{Line: n, Cells: []string{strings.ToValidUTF8(sc.Text(), "\uFFFD")}})
	}
	if err := sc.Err(); err != nil {
		v.Problem = err.Error()
	}
	return v
}

// parseXLSX previews the first sheet of a workbook with the bounded reader
// the pipeline uses (a hostile workbook costs the preview no more than it
// cost processing), raw values, blank rows left out.
func parseXLSX(r io.Reader) *parsedView {
	v := &parsedView{Format: "xlsx"}
	xr, err := flat.NewExcelReader(r, flat.ExcelConfig{File: "workbook", Limits: flat.Limits{MaxRecordBytes: maxPreviewLine},
		WorkbookLimits: flat.WorkbookLimits{MaxFileBytes: maxXLSXPreview}})
	if err != nil {
		v.Problem = err.Error()
		return v
	}
	defer xr.Close()
	for {
		row, err := xr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			v.Problem = err.Error()
			break
		}
		if len(v.Rows) == maxParsedRows {
			v.Truncated = true
			break
		}
		v.Rows = append(v.Rows, rowView{Line: row.Line, Cells: row.Values()})
	}
	return v
}

// fillMovements lists what the message posted: the postings of its
// documents, found among the last postings up to its sequence number.
func (s *Server) fillMovements(ctx context.Context, d *messageDetail) {
	res := d.Message.Result
	if res == nil || res.Sequence == 0 || res.Movements == 0 {
		return
	}
	if res.Movements > maxDetailMoves {
		d.MoveNote = fmt.Sprintf("%d movements posted: too many to list here; see the history of each SKU", res.Movements)
		return
	}
	docs := map[string]bool{}
	for _, k := range res.Documents {
		docs[k] = true
	}
	found := 0
	for seq := res.Sequence; seq > 0 && res.Sequence-seq < maxPostingsBack && found < len(docs); seq-- {
		changes, err := s.deps.Ledger.ChangesSince(ctx, seq-1, 1)
		if err != nil {
			d.MoveNote = "reading the ledger: " + err.Error()
			return
		}
		if len(changes) == 0 || !docs[changes[0].Document] {
			continue
		}
		found++
		for _, mv := range changes[0].Movements {
			d.Movements = append(d.Movements, viewMovement(mv))
		}
	}
	if len(d.Movements) < res.Movements {
		d.MoveNote = fmt.Sprintf("%d of %d movements found among the ledger's postings near sequence %d", len(d.Movements), res.Movements, res.Sequence)
	}
}
