package partners

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzLoad feeds random YAML to the loader, with the example folder as
// the profile's folder so that its tables and certificates resolve. It
// must never panic, and every problem must carry its file and a message;
// a profile that loads must pass its own lookups.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/valid/*.y*ml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		head,
		head + aliasBomb,
		"id: [\n",
		"a: &a [*a]\n",
		"<<: {id: p}\n",
		"id: p\n---\nid: q\n",
		adviceWith("schedule: 'CRON_TZ=Europe/Paris */7 1-5/2 * jan-mar mon,fri'"),
		flatProfile + "  - type: fixed\n    content: snapshot\n    mapping:\n      fixed: {fields: {sku: {start: 1, length: 3}, quantity: {start: 2, length: 9}}}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "testdata/valid/fuzz.yaml"
		d, err := load([]source{{file: file, data: data}}, osFiles{})
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || len(le.Errs) == 0 {
				t.Fatalf("error %v is not a non-empty *LoadError", err)
			}
			for _, pe := range le.Errs {
				if pe.File == "" || pe.Err == nil || pe.Err.Error() == "" || !strings.HasPrefix(pe.Error(), pe.File) {
					t.Fatalf("problem without file or message: %#v", pe)
				}
			}
			return
		}
		for _, p := range d.Profiles() {
			if got, err := d.ByID(p.ID); err != nil || got != p {
				t.Fatalf("ByID(%q) = %v, %v", p.ID, got, err)
			}
			for _, isa := range p.Identities.ISA {
				if got, err := d.ByISA(isa.Qualifier, isa.ID); err != nil || got != p {
					t.Fatalf("ByISA(%s) = %v, %v", isa, got, err)
				}
			}
			if a := p.Advice; a != nil && a.Schedule.Next(a.Schedule.Next(timeZero)).IsZero() {
				t.Fatalf("schedule %q accepted but never fires", a.Schedule)
			}
		}
	})
}

// timeZero is a fixed start for schedules in FuzzLoad.
var timeZero = mustTime("2030-06-15T12:00:00Z")

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
