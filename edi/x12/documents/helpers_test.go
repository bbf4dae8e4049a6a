package documents

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
)

// readSets decodes every transaction set of an input, cloned, with the
// delimiters of its interchange and the version of its group.
func readSets(t testing.TB, data []byte) ([]*x12.Transaction, x12.Delimiters) {
	t.Helper()
	d := x12.NewDecoder(bytes.NewReader(data), nil)
	var sets []*x12.Transaction
	var delims x12.Delimiters
	for {
		ev, err := d.Next()
		if errors.Is(err, io.EOF) {
			return sets, delims
		}
		if err != nil {
			t.Fatalf("reading: %v", err)
		}
		switch ev.Kind {
		case x12.InterchangeStart:
			delims = ev.Interchange.Delimiters
		case x12.SetRead:
			sets = append(sets, ev.Transaction.Clone())
		}
	}
}

func readFile(t testing.TB, path string) ([]*x12.Transaction, x12.Delimiters) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return readSets(t, data)
}

// encodeSets writes docs as one interchange with one group of version
// version, with ST02 0001, 0002, ... and returns the bytes.
func encodeSets(t testing.TB, d x12.Delimiters, version string, docs ...Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := x12.NewWriter(&buf, d)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 2, 15, 0, 0, time.UTC)
	isaVersion := "00401"
	if version >= "005010" {
		isaVersion = "00501"
	}
	must(t, w.BeginInterchange(x12.InterchangeHeader{SenderID: "TEST", ReceiverID: "DOCKSIDE", Control: 1, Version: isaVersion, Time: at}))
	must(t, w.BeginGroup(x12.GroupHeader{FunctionalID: "XX", AppSender: "TEST", AppReceiver: "DOCKSIDE", Control: 1, Version: version, Time: at}))
	for i, doc := range docs {
		must(t, doc.Encode(w, control(i+1), version))
	}
	must(t, w.EndGroup())
	must(t, w.EndInterchange())
	must(t, w.Flush())
	return buf.Bytes()
}

func control(n int) string {
	return string([]byte{'0' + byte(n/1000%10), '0' + byte(n/100%10), '0' + byte(n/10%10), '0' + byte(n%10)})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// elements returns a set's segments between ST and SE as id + elements,
// without trailing empty elements.
func elements(tx *x12.Transaction) [][]string {
	var out [][]string
	for i := range tx.Segments {
		s := &tx.Segments[i]
		if s.ID == "ST" || s.ID == "SE" {
			continue
		}
		row := []string{s.ID}
		for j := 1; j <= s.Len(); j++ {
			row = append(row, s.Text(j))
		}
		for len(row) > 1 && row[len(row)-1] == "" {
			row = row[:len(row)-1]
		}
		out = append(out, row)
	}
	return out
}

// clearPos sets every int field named Pos to zero, through pointers,
// slices and embedded structs, so that a built document compares equal to
// its decoded copy.
func clearPos(v any) {
	clearPosValue(reflect.ValueOf(v))
}

func clearPosValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			clearPosValue(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			clearPosValue(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if v.Type().Field(i).Name == "Pos" && f.Kind() == reflect.Int && f.CanSet() {
				f.SetInt(0)
				continue
			}
			clearPosValue(f)
		}
	}
}
