package x12

import (
	"fmt"
	"io"
	"time"
)

// AckOptions tell WriteAcks what to write.
type AckOptions struct {
	Kind    AckKind   // 997, 999 or auto (the default)
	TA1     bool      // write a TA1 for every interchange, not only when asked or needed
	Control int64     // first control number used for ISA13 and GS06 (default 1)
	Time    time.Time // date and time written in ISA/GS
}

// WriteAcks writes one acknowledgement interchange per interchange of rep
// that needs one: a TA1 when the sender asked (ISA14 = 1), when opts.TA1
// is set or when the envelope has errors; and a 997 or 999 per functional
// group, except groups of acknowledgements. It returns how many
// interchanges it wrote.
func WriteAcks(out io.Writer, rep *Report, opts AckOptions) (int, error) {
	if opts.Kind == "" {
		opts.Kind = AckAuto
	}
	control := max(opts.Control, 1)
	w, err := NewWriter(out, DefaultDelimiters)
	if err != nil {
		return 0, err
	}
	written := 0
	for i := range rep.Interchanges {
		icr := &rep.Interchanges[i]
		ic := icr.Interchange
		needTA1 := opts.TA1 || ic.AckRequested == "1" || !ic.Accepted()
		var groups []*GroupResult
		for j := range icr.Groups {
			if !IsAcknowledgement(icr.Groups[j].Group) {
				groups = append(groups, &icr.Groups[j])
			}
		}
		if !needTA1 && len(groups) == 0 {
			continue
		}
		h := AckHeader(ic, control)
		h.Time = opts.Time
		if err := w.BeginInterchange(h); err != nil {
			return written, err
		}
		if needTA1 {
			if err := w.WriteSegment("TA1", TA1(ic)...); err != nil {
				return written, err
			}
		}
		for _, g := range groups {
			gh := AckGroupHeader(g.Group, opts.Kind, control)
			gh.Time = opts.Time
			control++
			if err := writeAckGroup(w, opts.Kind, g, gh); err != nil {
				return written, fmt.Errorf("acknowledging group %s: %w", g.Group.Control, err)
			}
		}
		if err := w.EndInterchange(); err != nil {
			return written, err
		}
		control++
		written++
	}
	return written, w.Flush()
}

func writeAckGroup(w *Writer, kind AckKind, g *GroupResult, gh GroupHeader) error {
	if err := w.BeginGroup(gh); err != nil {
		return err
	}
	if err := WriteFunctionalAck(w, kind, g, "0001"); err != nil {
		return err
	}
	return w.EndGroup()
}
