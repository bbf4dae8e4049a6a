package specs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzValidate decodes arbitrary bytes and validates every set: no panic,
// no hang, and every set gets a status.
func FuzzValidate(f *testing.F) {
	for _, name := range conformanceFiles(f) {
		b, err := os.ReadFile(filepath.Join(conformanceDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, path := range sampleFiles(f) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(interchange("005010X231", "999", []string{"AK1*HC*1*005010X222", "AK2*837*0001", "IK3*CLM*3**8", "CTX*A^B:C*CLM*1**1:2:3*1325", "IK5*R*5", "AK9*R*1*1*0"})))
	f.Add([]byte(interchange("004010", "846", []string{bia, "LIN**SK*A1", "QTY*17*5*EA:1:2", "N1*WH*X", "QTY*33*1*EA", "CTT*1"})))
	c, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := validateStream(c, "fuzz", bytes.NewReader(data))
		for _, s := range g.Sets {
			if s.Status == "" {
				t.Fatalf("set %s without a status", s.SetID)
			}
			for _, e := range s.Segments {
				if e.Code == "" || e.Msg == "" {
					t.Fatalf("segment error without code or message: %+v", e)
				}
			}
		}
	})
}
