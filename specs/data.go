package specs

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

//go:embed data
var embedded embed.FS

// The JSON shapes of the data files; doc.go describes them for people.

type elementsFile struct {
	Version    string                   `json:"version"`
	Elements   map[string]elementJSON   `json:"elements"`
	Composites map[string]compositeJSON `json:"composites"`
}

type elementJSON struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Min   int    `json:"min"`
	Max   int    `json:"max"`
	Codes string `json:"codes"`
}

type compositeJSON struct {
	Name     string   `json:"name"`
	Elements []string `json:"elements"`
	Syntax   []string `json:"syntax"`
}

type segmentsFile struct {
	Version  string                 `json:"version"`
	Segments map[string]segmentJSON `json:"segments"`
}

type segmentJSON struct {
	Name     string   `json:"name"`
	Elements []string `json:"elements"`
	Syntax   []string `json:"syntax"`
}

type setFile struct {
	Set          string     `json:"set"`
	Version      string     `json:"version"`
	Name         string     `json:"name"`
	FunctionalID string     `json:"functionalGroup"`
	Structure    []nodeJSON `json:"structure"`
}

type nodeJSON struct {
	Segment string     `json:"segment"`
	Loop    string     `json:"loop"`
	Req     string     `json:"req"`
	Max     maxUse     `json:"max"`
	Content []nodeJSON `json:"content"`
}

// maxUse is a max use or loop repeat: a positive number, or ">1" for
// unbounded (kept as 0).
type maxUse int

func (m *maxUse) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte(`">1"`)) {
		*m = 0
		return nil
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 1 {
		return fmt.Errorf("max must be a positive number or \">1\", got %s", b)
	}
	*m = maxUse(n)
	return nil
}

// elementRef is one parsed entry of a segment's or composite's element
// list: "373 M", "C001 X", "C998 M x10".
type elementRef struct {
	ref    string
	req    byte
	repeat int
}

func parseElementRef(s string) (elementRef, error) {
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 3 {
		return elementRef{}, fmt.Errorf("element entry %q: want \"REF REQ\" or \"REF REQ xN\"", s)
	}
	r := elementRef{ref: f[0], repeat: 1}
	switch f[1] {
	case "M", "O", "X":
		r.req = f[1][0]
	default:
		return elementRef{}, fmt.Errorf("element entry %q: requirement must be M, O or X", s)
	}
	if len(f) == 3 {
		n, err := strconv.Atoi(strings.TrimPrefix(f[2], "x"))
		if !strings.HasPrefix(f[2], "x") || err != nil || n < 1 {
			return elementRef{}, fmt.Errorf("element entry %q: repeat must be xN", s)
		}
		r.repeat = n
	}
	return r, nil
}

// decodeStrict unmarshals JSON, rejecting unknown fields so a typo in the
// data fails loudly.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
