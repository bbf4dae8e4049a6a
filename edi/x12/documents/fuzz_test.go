package documents

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
)

// FuzzDecode reads arbitrary bytes with the x12 Decoder and decodes every
// transaction set: no panic, every error a *DecodeError; a document that
// encodes must decode again and encode to the same bytes.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.edi")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("ISA*00*          *00*          *ZZ*A              *ZZ*B              *261125*0215*^*00501*000000001*0*P*:~" +
		"GS*IB*A*B*20261125*0215*1*X*005010~ST*846*0001*005010~BIA*00*DD*R*20261125~LIN**SK*A~QTY*17*5*EA:2~" +
		"N1*WH*X~QTY*33*-1.0*CA~DTM*405*20261125~SDQ*EA*92*A*1*B*2~CTT*1~SE*11*0001~GE*1*1~IEA*1*000000001~"))
	f.Add([]byte("ISA*00*          *00*          *ZZ*A              *ZZ*B              *261125*0215*U*00401*000000001*0*P*>~" +
		"GS*SH*A*B*20261125*0215*1*X*004010~ST*856*0001~BSN*00*S*20261125*0215*0002~HL*1**S~HL*2*1*O~PRF*PO~" +
		"HL*3*2*I~LIN**UP*1~SN1**2*EA~HL*4*3*P~MAN*GM*1~CTT*4~SE*12*0001~GE*1*1~IEA*1*000000001~"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := x12.NewDecoder(bytes.NewReader(data), &x12.DecoderOptions{MaxTransactionSize: 1 << 20})
		for range 1000 {
			ev, err := d.Next()
			if errors.Is(err, io.EOF) || err != nil {
				return
			}
			if ev.Kind != x12.SetRead {
				continue
			}
			doc, err := Decode(ev.Transaction)
			if err != nil {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("error %T %v is not a *DecodeError", err, err)
				}
				_ = de.Error()
				continue
			}
			checkReencode(t, doc)
		}
	})
}

// checkReencode encodes doc; when that works, the output must decode and
// encode to the same bytes.
func checkReencode(t *testing.T, doc Document) {
	first, ok := tryEncode(doc)
	if !ok {
		return // e.g. a delimiter of the writer inside the data
	}
	sets, _ := readSets(t, first)
	if len(sets) != 1 {
		t.Fatalf("encoded %d sets:\n%s", len(sets), first)
	}
	again, err := Decode(sets[0])
	if err != nil {
		t.Fatalf("the encoder's output does not decode: %v\n%s", err, first)
	}
	second, ok := tryEncode(again)
	if !ok || !bytes.Equal(first, second) {
		t.Fatalf("encoding is not stable:\n%s\n%s", first, second)
	}
}

func tryEncode(doc Document) ([]byte, bool) {
	var buf bytes.Buffer
	w, err := x12.NewWriter(&buf, x12.DefaultDelimiters)
	if err != nil {
		return nil, false
	}
	if w.BeginInterchange(x12.InterchangeHeader{SenderID: "A", ReceiverID: "B", Control: 1, Version: "00501"}) != nil ||
		w.BeginGroup(x12.GroupHeader{FunctionalID: "XX", AppSender: "A", AppReceiver: "B", Control: 1, Version: "005010"}) != nil {
		return nil, false
	}
	if doc.Encode(w, "0001", "005010") != nil {
		return nil, false
	}
	if w.EndGroup() != nil || w.EndInterchange() != nil || w.Flush() != nil {
		return nil, false
	}
	return buf.Bytes(), true
}

// FuzzPoolDecode decodes every set of arbitrary bytes with a Pool,
// releasing each document (so the next reuses its memory), and with
// Decode: the documents and errors must be the same.
func FuzzPoolDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.edi")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(gen846(3, 2))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Pool
		d := x12.NewDecoder(bytes.NewReader(data), &x12.DecoderOptions{MaxTransactionSize: 1 << 20})
		for range 1000 {
			ev, err := d.Next()
			if err != nil {
				return
			}
			if ev.Kind != x12.SetRead {
				continue
			}
			want, wantErr := Decode(ev.Transaction)
			got, err := p.Decode(ev.Transaction)
			if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
				t.Fatalf("pool error %v, Decode error %v", err, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("pool document differs from Decode's")
			}
			p.Release(got)
		}
	})
}
