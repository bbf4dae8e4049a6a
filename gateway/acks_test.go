package gateway

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/mapping"
)

// ackBody returns the acknowledgement queued for a message (the first
// outbound transport's copy); empty when none was queued.
func ackBody(t *testing.T, g *Gateway, m *inbox.Message) string {
	t.Helper()
	if m.Result == nil || len(m.Result.Acks) == 0 {
		return ""
	}
	body, err := g.Outbox.Body(m.Result.Acks[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// TestAckReportsWhatWasTaken: a 997 never says "accepted" for a set that
// passed validation but was not taken: decoding (an HL past the depth
// limit), mapping (an unknown item under on_error: reject) or the
// envelope (test data) refused it. Where the place is known, an AK3 names
// the segment. A set posted with lines dropped (on_error: post_good) is
// accepted with errors.
func TestAckReportsWhatWasTaken(t *testing.T) {
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	notice := read(samples + "/acme-3pl/ship-notice-856.edi")
	stock := read(samples + "/acme-3pl/inventory-846.edi")
	order := read(samples + "/shopmart/order-940.edi")
	replace := func(b []byte, pairs ...string) []byte {
		for i := 0; i < len(pairs); i += 2 {
			if !bytes.Contains(b, []byte(pairs[i])) {
				t.Fatalf("no %q", pairs[i])
			}
			b = bytes.ReplaceAll(b, []byte(pairs[i]), []byte(pairs[i+1]))
		}
		return b
	}
	tests := []struct {
		name      string
		body      []byte
		movements int
		want      []string
	}{
		{"accepted", stock, 7, []string{"AK2*846*0001~AK5*A~AK9*A*1*1*1~"}},
		{"HL past the depth limit", deepNotice856(150), 0, []string{"AK2*856*0001~AK3*HL*301**4~AK5*R*5~AK9*R*1*1*0~"}},
		{"unknown item, reject", replace(stock, "VN*AC-1002", "VN*AC-9999"), 0, []string{"AK2*846*0001~AK3*LIN*14**8~AK5*R*5~AK9*R*1*1*0~"}},
		{"unknown item, post_good", replace(notice, "VN*AC-2002", "VN*AC-9999"), 1, []string{"AK2*856*0001~AK3*HL*16**8~AK5*E~AK9*E*1*1*1~"}},
		{"no item known, post_good", replace(notice, "VN*AC-2002", "VN*AC-9999", "VN*AC-1001", "VN*AC-9998"), 0,
			[]string{"AK2*856*0001~AK3*HL*13**8~AK3*HL*16**8~AK5*R*5~AK9*R*1*1*0~"}},
		{"a set the profile does not map", []byte(strings.NewReplacer("SHOPMART       ", "ACME3PL        ", "GS*OW*SHOPMART", "GS*OW*ACME3PL").Replace(string(order))), 0,
			[]string{"AK2*940*0001~AK5*R*1~AK9*R*1*1*0~"}},
		{"test data from a partner not in test mode", replace(stock, "*0*P*>", "*0*T*>"), 0, []string{"AK5*R~AK9*R*1*1*0~"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := openTest(t, nil)
			m := limitsDrain(t, g, limitsReceive(t, g, "acme-3pl", "in.edi", tt.body).ID)
			if m.Result == nil || m.Result.Movements != tt.movements {
				t.Fatalf("%s: %+v %v", m.State, m.Result, m.Errors)
			}
			ack := strings.ReplaceAll(ackBody(t, g, m), "\n", "")
			for _, w := range tt.want {
				if !strings.Contains(ack, w) {
					t.Errorf("997 lacks %q:\n%s", w, ack)
				}
			}
		})
	}
}

// TestOrderWithNoGoodLineOpensNothing: under on_error: post_good, a 940
// whose every line is bad takes nothing: the order is not opened with no
// lines (which would make the corrected order a conflict), and the 997
// rejects the set.
func TestOrderWithNoGoodLineOpensNothing(t *testing.T) {
	g, partnersDir := openTest(t, nil)
	profile := filepath.Join(partnersDir, "shopmart.yaml")
	b, err := os.ReadFile(profile)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.Replace(string(b), "  - type: x12/940\n", "  - type: x12/940\n    on_error: post_good\n", 1))
	if err := os.WriteFile(profile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := g.ReloadPartners(); err != nil {
		t.Fatal(err)
	}
	bad := writeVariant(t, samples+"/shopmart/order-940.edi", "bad.edi", "VN*SM-88001", "VN*SM-00001", "VN*SM-88002", "VN*SM-00002")
	m := ingest(t, g, "shopmart", bad)[0]
	if m.State != inbox.Failed || m.Result.Movements != 0 {
		t.Fatalf("no good line: %s %+v %v", m.State, m.Result, m.Errors)
	}
	if ack := strings.ReplaceAll(ackBody(t, g, m), "\n", ""); !strings.Contains(ack, "AK5*R*5~AK9*R*1*1*0~") {
		t.Errorf("no good line: the 997 does not reject it:\n%s", ack)
	}
	if st, err := g.orders.get(context.Background(), mapping.KindOrder, "shopmart", "SO-9001"); err != nil || st != nil {
		t.Errorf("no good line: order %+v %v, want none", st, err)
	}
	// The partner sends the order again, corrected, under new numbers.
	if m := ingest(t, g, "shopmart", resend940(t, "order-940.edi", "fixed.edi", "000000031", "31"))[0]; m.State != inbox.Done || m.Result.Movements != 2 {
		t.Errorf("corrected order: %s %+v %v", m.State, m.Result, m.Errors)
	}
}

// TestReplayQueuesNewAck: a set rejected (an unknown item) gets AK5 R;
// once the item is known and the message replayed, a second 997 with
// AK5 A is queued (the first is not the last word), under its own key.
func TestReplayQueuesNewAck(t *testing.T) {
	g, partnersDir := openTest(t, nil)
	stock, err := os.ReadFile(samples + "/acme-3pl/inventory-846.edi")
	if err != nil {
		t.Fatal(err)
	}
	stock = bytes.ReplaceAll(stock, []byte("VN*AC-1002"), []byte("VN*AC-9999"))
	m := limitsDrain(t, g, limitsReceive(t, g, "acme-3pl", "in.edi", stock).ID)
	first := strings.ReplaceAll(ackBody(t, g, m), "\n", "")
	if m.State != inbox.Failed || !strings.Contains(first, "AK5*R*5~") {
		t.Fatalf("unknown item: %s %v, 997:\n%s", m.State, m.Errors, first)
	}
	firstIDs := m.Result.Acks
	items := filepath.Join(partnersDir, "tables", "acme-items.csv")
	b, err := os.ReadFile(items)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(items, append(b, "AC-9999,012345678999,WIDGET-GREY,12,Grey widget\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := g.ReloadPartners(); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Inbox.Replay(m.ID); err != nil {
		t.Fatal(err)
	}
	m = limitsDrain(t, g, m.ID)
	second := strings.ReplaceAll(ackBody(t, g, m), "\n", "")
	if m.State != inbox.Done || !strings.Contains(second, "AK2*846*0001~AK5*A~AK9*A*1*1*1~") {
		t.Fatalf("after the replay: %s %v, 997:\n%s", m.State, m.Errors, second)
	}
	if len(m.Result.Acks) != len(firstIDs) || m.Result.Acks[0] == firstIDs[0] {
		t.Fatalf("acknowledgements %v after the replay, %v before: want new ones", m.Result.Acks, firstIDs)
	}
	for _, id := range append(firstIDs, m.Result.Acks...) {
		if _, err := g.Outbox.Get(id); err != nil {
			t.Fatalf("acknowledgement %d: %v", id, err)
		}
	}
}
