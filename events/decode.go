package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Options bound what Decode accepts.
type Options struct {
	// MaxBatch is the most events a batch may hold (default
	// DefaultMaxBatch).
	MaxBatch int
}

// Decode reads one event (a JSON object) or a batch (a JSON array of
// events) and validates each event. It returns the valid events and the
// problems of the others, in body order; a problem of the body as a whole
// (not JSON, an empty or too large batch) is the only one returned then.
// Every problem names the JSON path of its field: "events[3].data.quantity"
// in a batch, "data.quantity" for a single event.
func Decode(body []byte, opts Options) ([]Event, Errors) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	body = bytes.TrimLeft(body, " \t\r\n")
	if len(body) == 0 {
		return nil, bodyError(ErrSyntax, "empty body: want an event (a JSON object) or a batch (a JSON array of events)")
	}
	switch body[0] {
	case '{':
		if evs, errs, ok := decodeOneFast(body); ok {
			return evs, errs
		}
		if err := checkJSON(body); err != nil {
			return nil, Errors{err}
		}
		ev, errs := decodeEvent(body, "", 0)
		if len(errs) > 0 {
			return nil, errs
		}
		return []Event{ev}, nil
	case '[':
		return decodeBatch(body, opts.MaxBatch)
	}
	if err := checkJSON(body); err != nil {
		return nil, Errors{err}
	}
	return nil, bodyError(ErrType, "want an event (a JSON object) or a batch (a JSON array of events)")
}

func bodyError(sentinel error, format string, args ...any) Errors {
	return Errors{{Index: -1, Err: sentinel, Msg: fmt.Sprintf(format, args...)}}
}

// checkJSON reports a body that is not one JSON value, with the offset.
func checkJSON(body []byte) *FieldError {
	if json.Valid(body) {
		return nil
	}
	var v any
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(body, se.Offset)
		return &FieldError{Index: -1, Err: ErrSyntax, Msg: fmt.Sprintf("invalid JSON at line %d, column %d (byte %d): %v", line, col, se.Offset, se)}
	}
	return &FieldError{Index: -1, Err: ErrSyntax, Msg: "invalid JSON: " + errText(err)}
}

// position turns a byte offset into a 1-based line and column.
func position(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func errText(err error) string {
	if err == nil {
		return "unexpected end"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func decodeBatch(body []byte, maxBatch int) ([]Event, Errors) {
	if evs, errs, ok := decodeBatchFast(body, maxBatch); ok {
		return evs, errs
	}
	return decodeBatchSlow(body, maxBatch)
}

// decodeBatchSlow decodes a batch event by event.
func decodeBatchSlow(body []byte, maxBatch int) ([]Event, Errors) {
	if err := checkJSON(body); err != nil {
		return nil, Errors{err}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return nil, bodyError(ErrSyntax, "invalid JSON: %s", errText(err))
	}
	switch {
	case len(raws) == 0:
		return nil, bodyError(ErrRequired, "empty batch: want at least one event")
	case len(raws) > maxBatch:
		return nil, bodyError(ErrTooMany, "%d events in one batch: at most %d", len(raws), maxBatch)
	}
	evs := make([]Event, 0, len(raws))
	var errs Errors
	for i, raw := range raws {
		ev, es := decodeEvent(raw, "events["+strconv.Itoa(i)+"]", i)
		if len(es) > 0 {
			errs = append(errs, es...)
			continue
		}
		evs = append(evs, ev)
	}
	return evs, errs
}

// fastEvent is an event as sent without extension attributes, its data
// decoded with it.
type fastEvent struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Time            string    `json:"time"`
	Subject         string    `json:"subject"`
	DataContentType string    `json:"datacontenttype"`
	DataSchema      string    `json:"dataschema"`
	Data            *wireData `json:"data"`
}

// decodeBatchFast decodes a batch in one pass, as long as it is valid
// JSON of the right types without extension attributes or unknown fields
// (the common case); ok is false otherwise, and the caller decodes event
// by event to name each problem's place.
func decodeBatchFast(body []byte, maxBatch int) ([]Event, Errors, bool) {
	ws, ok := scanEvents(body, maxBatch, false)
	if !ok {
		ws, ok = jsonEvents(body, maxBatch)
	}
	if !ok || len(ws) == 0 {
		return nil, nil, false
	}
	evs := make([]Event, 0, len(ws))
	var errs Errors
	prefix := make([]byte, 0, 16)
	for i, fw := range ws {
		prefix = append(append(prefix[:0], "events["...), strconv.Itoa(i)...)
		prefix = append(prefix, ']')
		ev, es := checkFast(fw, string(prefix), i)
		if len(es) > 0 {
			errs = append(errs, es...)
			continue
		}
		evs = append(evs, ev)
	}
	return evs, errs, true
}

// jsonEvents is scanEvents done by encoding/json, for the batches the
// scanner gives up on: extension attributes and other types still fall
// to the slow path, escaped and non-ASCII text does not.
func jsonEvents(body []byte, maxBatch int) ([]*fastEvent, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var ws []*fastEvent
	if err := dec.Decode(&ws); err != nil || dec.More() || len(ws) == 0 || len(ws) > maxBatch {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	for _, fw := range ws {
		if fw == nil { // a null event: the slow path names it
			return nil, false
		}
	}
	return ws, true
}

// decodeOneFast is decodeBatchFast for a single event.
func decodeOneFast(body []byte) ([]Event, Errors, bool) {
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return nil, nil, false
	}
	ws, ok := scanEvents(body, 1, true)
	if !ok {
		ws, ok = jsonEvent(body)
	}
	if !ok {
		return nil, nil, false
	}
	ev, errs := checkFast(ws[0], "", 0)
	if len(errs) > 0 {
		return nil, errs, true
	}
	return []Event{ev}, nil, true
}

// jsonEvent is jsonEvents for a single event.
func jsonEvent(body []byte) ([]*fastEvent, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var fw fastEvent
	if err := dec.Decode(&fw); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return []*fastEvent{&fw}, true
}

// checkFast validates an event decoded in one pass.
func checkFast(fw *fastEvent, prefix string, i int) (Event, Errors) {
	c := &checker{prefix: prefix, index: i}
	w := wireEvent{SpecVersion: fw.SpecVersion, ID: fw.ID, Source: fw.Source, Type: fw.Type, Time: fw.Time,
		Subject: fw.Subject, DataContentType: fw.DataContentType, DataSchema: fw.DataSchema}
	ev := Event{Index: i, Path: prefix, SpecVersion: w.SpecVersion, ID: w.ID, Source: w.Source, Type: Type(w.Type), Subject: w.Subject}
	c.envelope(&w, &ev)
	if fw.Data == nil {
		c.fail("data", ErrRequired, "required: the event's payload (an object)")
	} else {
		c.dataFields(fw.Data, &ev)
	}
	return ev, c.errs
}

// wireEvent is an event as sent. Attributes not listed are CloudEvents
// extensions: allowed and ignored.
type wireEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Time            string          `json:"time"`
	Subject         string          `json:"subject"`
	DataContentType string          `json:"datacontenttype"`
	DataSchema      string          `json:"dataschema"`
	Data            json.RawMessage `json:"data"`
}

// wireData is an event's data as sent; other fields are refused.
type wireData struct {
	SKU          string          `json:"sku"`
	Item         string          `json:"item"`
	Location     string          `json:"location"`
	LocationCode string          `json:"location_code"`
	Quantity     json.RawMessage `json:"quantity"`
	Unit         string          `json:"unit"`
	Effective    string          `json:"effective"`
	Expected     string          `json:"expected"`
	Reason       string          `json:"reason"`
	From         string          `json:"from"`
	To           string          `json:"to"`
	Bucket       string          `json:"bucket"`
	Order        string          `json:"order"`
	Reference    string          `json:"reference"`
}

// checker collects the problems of one event.
type checker struct {
	prefix string
	index  int
	errs   Errors
}

func (c *checker) fail(field string, sentinel error, format string, args ...any) {
	c.errs = append(c.errs, &FieldError{Path: join(c.prefix, field), Index: c.index, Err: sentinel, Msg: fmt.Sprintf(format, args...)})
}

// typeError reports a json.UnmarshalTypeError at its field.
func (c *checker) typeError(base string, err error) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		c.fail(join(base, te.Field), ErrType, "must be a JSON %s, not %s", jsonTypeOf(te.Type.Kind().String()), te.Value)
		return
	}
	if s := err.Error(); strings.HasPrefix(s, `json: unknown field "`) {
		name := strings.TrimSuffix(strings.TrimPrefix(s, `json: unknown field "`), `"`)
		c.fail(join(base, name), ErrUnknownField, "not a field of the event model (see docs/events.md)")
		return
	}
	c.fail(base, ErrType, "%s", errText(err))
}

func jsonTypeOf(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	}
	return "number"
}

func decodeEvent(raw []byte, prefix string, index int) (Event, Errors) {
	c := &checker{prefix: prefix, index: index}
	if raw = bytes.TrimSpace(raw); len(raw) == 0 || raw[0] != '{' {
		c.fail("", ErrType, "must be a JSON object (an event)")
		return Event{}, c.errs
	}
	var w wireEvent
	if err := json.Unmarshal(raw, &w); err != nil {
		c.typeError("", err)
		return Event{}, c.errs
	}
	ev := Event{Index: index, Path: prefix, SpecVersion: w.SpecVersion, ID: w.ID, Source: w.Source, Type: Type(w.Type), Subject: w.Subject}
	c.envelope(&w, &ev)
	c.data(w.Data, &ev)
	if len(c.errs) > 0 {
		return Event{}, c.errs
	}
	return ev, nil
}

func (c *checker) envelope(w *wireEvent, ev *Event) {
	switch {
	case w.SpecVersion == "":
		c.fail("specversion", ErrRequired, "required: \"1.0\"")
	case w.SpecVersion != SpecVersion:
		c.fail("specversion", ErrInvalid, "%q: want \"1.0\"", w.SpecVersion)
	}
	c.identifier("id", w.ID)
	c.identifier("source", w.Source)
	switch {
	case w.Type == "":
		c.fail("type", ErrRequired, "required: one of %s", strings.Join(typeNames(), ", "))
	case !ev.Type.Valid():
		c.fail("type", ErrInvalid, "%q is not an event type: want one of %s", clip(w.Type), strings.Join(typeNames(), ", "))
	}
	ev.Time = c.timestamp("time", w.Time)
	c.text("subject", w.Subject, MaxTextLen)
	c.text("dataschema", w.DataSchema, MaxTextLen)
	if ct := w.DataContentType; ct != "" && ct != ContentType && !strings.HasPrefix(ct, ContentType+";") {
		c.fail("datacontenttype", ErrInvalid, "%q: only %s", clip(ct), ContentType)
	}
}

// identifier checks id and source: required, bounded, no control
// characters.
func (c *checker) identifier(field, v string) {
	switch {
	case v == "":
		c.fail(field, ErrRequired, "required")
	case len(v) > MaxIDLen:
		c.fail(field, ErrInvalid, "%d bytes: at most %d", len(v), MaxIDLen)
	case strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 || !utf8.ValidString(v):
		c.fail(field, ErrInvalid, "must be printable UTF-8 text")
	}
}

// text checks an optional text's length.
func (c *checker) text(field, v string, max int) {
	if len(v) > max {
		c.fail(field, ErrInvalid, "%d bytes: at most %d", len(v), max)
	} else if !utf8.ValidString(v) {
		c.fail(field, ErrInvalid, "must be UTF-8 text")
	}
}

// timestamp parses an optional RFC 3339 time.
func (c *checker) timestamp(field, v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		c.fail(field, ErrInvalid, "%q is not an RFC 3339 time (2006-01-02T15:04:05Z)", clip(v))
	}
	return t
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (c *checker) data(raw json.RawMessage, ev *Event) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		c.fail("data", ErrRequired, "required: the event's payload (an object)")
		return
	}
	if raw[0] != '{' {
		c.fail("data", ErrType, "must be a JSON object")
		return
	}
	var w wireData
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		c.typeError("data", err)
		return
	}
	c.dataFields(&w, ev)
}

// dataFields checks an event's decoded data and sets ev.Data.
func (c *checker) dataFields(w *wireData, ev *Event) {
	d := &ev.Data
	d.SKU, d.Item, d.Location, d.LocationCode = w.SKU, w.Item, w.Location, w.LocationCode
	d.Unit, d.Reason, d.Order, d.Reference = w.Unit, w.Reason, w.Order, w.Reference
	d.From, d.To, d.Bucket = Status(w.From), Status(w.To), Bucket(w.Bucket)
	c.oneOf("data.sku", w.SKU, "data.item", w.Item)
	c.oneOf("data.location", w.Location, "data.location_code", w.LocationCode)
	for _, f := range []struct {
		name, v string
		max     int
	}{{"data.sku", w.SKU, MaxTextLen}, {"data.item", w.Item, MaxTextLen}, {"data.location", w.Location, MaxTextLen},
		{"data.location_code", w.LocationCode, MaxTextLen}, {"data.unit", w.Unit, 16}, {"data.reason", w.Reason, MaxTextLen},
		{"data.order", w.Order, MaxTextLen}, {"data.reference", w.Reference, MaxTextLen}} {
		c.text(f.name, f.v, f.max)
	}
	d.Effective = c.timestamp("data.effective", w.Effective)
	d.Expected = c.timestamp("data.expected", w.Expected)
	d.Quantity = c.quantity(w.Quantity, ev.Type)
	c.kindRules(ev.Type, d)
}

// oneOf requires exactly one of two fields.
func (c *checker) oneOf(a, va, b, vb string) {
	switch {
	case va == "" && vb == "":
		c.fail(a, ErrRequired, "required (or %s)", b)
	case va != "" && vb != "":
		c.fail(b, ErrConflict, "give %s or %s, not both", a, b)
	}
}

// quantity reads data.quantity: a whole JSON number within the rules of
// the event's type.
func (c *checker) quantity(raw json.RawMessage, t Type) int64 {
	const field = "data.quantity"
	if len(raw) == 0 || string(raw) == "null" {
		c.fail(field, ErrRequired, "required: a whole number")
		return 0
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		c.fail(field, ErrType, "must be a JSON number (a whole number), not %s", clip(string(raw)))
		return 0
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(raw), 64)
		switch {
		case ferr != nil && !errors.Is(ferr, strconv.ErrRange):
			c.fail(field, ErrType, "must be a JSON number (a whole number), not %s", clip(string(raw)))
			return 0
		case ferr != nil || f > MaxQuantity || f < -MaxQuantity:
			c.fail(field, ErrInvalid, "%s is out of range (at most %d)", clip(string(raw)), int64(MaxQuantity))
			return 0
		case f != float64(int64(f)):
			c.fail(field, ErrType, "%s must be a whole number", clip(string(raw)))
			return 0
		}
		n = int64(f) // 1e3, 5.0: whole numbers written otherwise
	}
	switch {
	case n > MaxQuantity || n < -MaxQuantity:
		c.fail(field, ErrInvalid, "%d is out of range (at most %d)", n, int64(MaxQuantity))
	case t == TypeCount:
		if n < 0 {
			c.fail(field, ErrInvalid, "must be zero or more (a count)")
		}
	case t == TypeAdjustment || t == TypeInTransit:
		if n == 0 {
			c.fail(field, ErrInvalid, "must not be zero")
		}
	case n <= 0:
		c.fail(field, ErrInvalid, "must be a positive integer")
	}
	return n
}

// kindRules checks the fields that depend on the event's type: required
// where the type needs them, refused where it does not use them.
func (c *checker) kindRules(t Type, d *Data) {
	if !t.Valid() {
		return
	}
	if t == TypeAdjustment && strings.TrimSpace(d.Reason) == "" {
		c.fail("data.reason", ErrRequired, "required for an adjustment")
	}
	if t == TypeReservation || t == TypeRelease {
		if d.Order == "" {
			c.fail("data.order", ErrRequired, "required for a %s (reservations are kept per order)", shortType(t))
		}
	} else if d.Order != "" && t != TypeShipment {
		c.fail("data.order", ErrConflict, "applies to shipment, reservation and release only")
	}
	if t == TypeStatus {
		c.status("data.from", d.From)
		c.status("data.to", d.To)
		if d.From != "" && d.From == d.To {
			c.fail("data.to", ErrInvalid, "must differ from data.from")
		}
	} else {
		c.refuse("data.from", string(d.From), "status")
		c.refuse("data.to", string(d.To), "status")
	}
	if t == TypeCount {
		switch d.Bucket {
		case "":
			d.Bucket = BucketOnHand
		case BucketOnHand, BucketDamaged, BucketQuarantined, BucketInTransit:
		default:
			c.fail("data.bucket", ErrInvalid, "%q: want one of %s", clip(string(d.Bucket)), strings.Join(bucketNames(), ", "))
		}
	} else {
		c.refuse("data.bucket", string(d.Bucket), "count")
	}
	if t != TypeInTransit && t != TypeCount {
		c.refuse("data.expected", timeSet(d.Expected), "in_transit and count")
	}
}

func timeSet(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return "set"
}

func (c *checker) status(field string, s Status) {
	switch s {
	case "":
		c.fail(field, ErrRequired, "required for a status move: one of %s", strings.Join(statusNames(), ", "))
	case StatusAvailable, StatusDamaged, StatusQuarantined:
	default:
		c.fail(field, ErrInvalid, "%q: want one of %s", clip(string(s)), strings.Join(statusNames(), ", "))
	}
}

// refuse reports a field set on a type that does not use it.
func (c *checker) refuse(field, v, types string) {
	if v != "" {
		c.fail(field, ErrConflict, "applies to %s events only", types)
	}
}

// shortType is the last part of a type ("reservation").
func shortType(t Type) string {
	s := string(t)
	return s[strings.LastIndexByte(s, '.')+1:]
}

// Kind returns the last part of the type ("receipt", "transfer_out").
func (t Type) Kind() string { return shortType(t) }
