package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
)

// deepNotice856 is an ACME 856 whose items nest levels deep, each under the one
// before (shipment and order above them).
func deepNotice856(levels int) []byte {
	var b bytes.Buffer
	b.WriteString("ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*DOCKSIDE       *261125*2330*U*00401*000007001*0*P*>~\n" +
		"GS*SH*ACME3PL*DOCKSIDE*20261125*2330*7001*X*004010~\nST*856*0001~\nBSN*00*SHP-DEEP*20261125*1200*0001~\n" +
		"HL*1**S~\nN1*ST*Dockside Dallas*92*DAL1~\nHL*2*1*O~\nPRF*PO-5001~\n")
	for i := 3; i < levels+3; i++ {
		fmt.Fprintf(&b, "HL*%d*%d*I~\nLIN**VN*AC-1001~\nSN1**1*EA~\n", i, i-1)
	}
	fmt.Fprintf(&b, "CTT*%d~\nSE*%d*0001~\nGE*1*7001~\nIEA*1*000007001~\n", levels+2, 3*levels+8)
	return b.Bytes()
}

func limitsReceive(t *testing.T, g *Gateway, partner, name string, body []byte) *inbox.Message {
	t.Helper()
	m, err := g.Inbox.Receive(context.Background(), inbox.Arrival{Partner: partner, Transport: "test", Name: name}, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func limitsDrain(t *testing.T, g *Gateway, id uint64) *inbox.Message {
	t.Helper()
	if err := g.Drain(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	m, err := g.Inbox.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// limitErrors joins a message's problems, places included.
func limitErrors(m *inbox.Message) string {
	var b strings.Builder
	for _, p := range m.Errors {
		fmt.Fprintf(&b, "%s: %s\n", p.Place, p.Msg)
	}
	return b.String()
}

// limitsKeptBytes checks that the inbox still holds the message's original bytes.
func limitsKeptBytes(t *testing.T, g *Gateway, m *inbox.Message, want []byte) {
	t.Helper()
	rc, err := g.Inbox.Body(m.ID)
	if err != nil {
		t.Fatalf("message %d: bytes not kept: %v", m.ID, err)
	}
	defer rc.Close()
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, want) {
		t.Errorf("message %d: kept %d bytes, not the %d received", m.ID, len(got), len(want))
	}
}

// TestLimitsFailMessages: each limit of Config.Limits fails the message
// with an error naming the setting, keeps its bytes, and the message
// replays once the limit allows it.
func TestLimitsFailMessages(t *testing.T) {
	tests := []struct {
		name    string
		limits  func(*LimitsConfig)
		body    []byte
		want    []string // in the errors
		relaxed func(*LimitsConfig)
	}{
		{"HL depth", func(l *LimitsConfig) {}, deepNotice856(150),
			[]string{"limits.max_hl_depth", "856 HL (segment 301 of the set, line 303)", "HL 101 is at level 101, over the limit of 100 levels", "set 856 0001"},
			nil},
		{"message timeout", func(l *LimitsConfig) { l.MessageTimeout = time.Nanosecond }, deepNotice856(20),
			[]string{"limits.message_timeout (1ns)"},
			func(l *LimitsConfig) { l.MessageTimeout = time.Minute }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := openTest(t, nil)
			tt.limits(&g.Config.Limits)
			m := limitsDrain(t, g, limitsReceive(t, g, "acme-3pl", "deep.edi", tt.body).ID)
			if m.State != inbox.Failed {
				t.Fatalf("state %s, want failed: %v", m.State, m.Errors)
			}
			text := limitErrors(m)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("errors lack %q:\n%s", w, text)
				}
			}
			limitsKeptBytes(t, g, m, tt.body)
			if tt.relaxed == nil {
				return
			}
			tt.relaxed(&g.Config.Limits)
			if _, err := g.Inbox.Replay(m.ID); err != nil {
				t.Fatal(err)
			}
			if m = limitsDrain(t, g, m.ID); m.State != inbox.Done || m.Result.Movements != 20 {
				t.Errorf("replayed: %s %+v %v", m.State, m.Result, m.Errors)
			}
		})
	}
}

// TestInterruptedTooOftenFails: a message whose processing was cut short
// (the gateway stopped with it claimed) MaxAttempts times fails with the
// reason at the next start instead of being taken up forever; its bytes
// are kept and a replay processes it.
func TestInterruptedTooOftenFails(t *testing.T) {
	dir := t.TempDir()
	partnersDir := filepath.Join(dir, "partners")
	copyTree(t, "../examples/partners", partnersDir)
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners = filepath.Join(dir, "data"), partnersDir
	open := func() *Gateway {
		g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	body, err := os.ReadFile(samples + "/acme-3pl/ship-notice-856.edi")
	if err != nil {
		t.Fatal(err)
	}
	g := open()
	id := limitsReceive(t, g, "acme-3pl", "ship-notice-856.edi", body).ID
	for range cfg.Limits.MaxAttempts {
		// Claimed, then the process stops before the outcome.
		if m, err := g.Inbox.Claim(); err != nil || m.ID != id {
			t.Fatalf("claim: %v, %v", m, err)
		}
		g.Close()
		g = open()
	}
	defer g.Close()
	m := limitsDrain(t, g, id)
	if m.State != inbox.Failed || !strings.Contains(limitErrors(m), "limits.max_attempts = 3") ||
		!strings.Contains(limitErrors(m), "started 3 times without finishing") {
		t.Fatalf("state %s, errors:\n%s", m.State, limitErrors(m))
	}
	if b := balance(t, g, "GADGET-L", "dallas"); b.InTransit != 0 {
		t.Errorf("a message failed for its interruptions posted %d in transit", b.InTransit)
	}
	limitsKeptBytes(t, g, m, body)
	if _, err := g.Inbox.Replay(id); err != nil {
		t.Fatal(err)
	}
	if m = limitsDrain(t, g, id); m.State != inbox.Done {
		t.Errorf("replayed: %s %v", m.State, m.Errors)
	}
}

// TestLimitsConfig: the limits come from the file and the environment,
// with their defaults, and impossible values are refused.
func TestLimitsConfig(t *testing.T) {
	d := DefaultConfig().Limits
	if d.MaxHLDepth != 100 || d.MessageTimeout != 5*time.Minute || d.MaxAttempts != 3 {
		t.Errorf("defaults %+v", d)
	}
	path := filepath.Join(t.TempDir(), "dockside.yaml")
	os.WriteFile(path, []byte("limits:\n  max_hl_depth: 12\n  message_timeout: 90s\n"), 0o644)
	env := map[string]string{"DOCKSIDE_LIMITS_MAX_ATTEMPTS": "5"}
	c, err := LoadConfig(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits != (LimitsConfig{MaxHLDepth: 12, MessageTimeout: 90 * time.Second, MaxAttempts: 5}) {
		t.Errorf("loaded %+v", c.Limits)
	}
	for _, bad := range []string{"max_hl_depth: 0", "message_timeout: 0s", "max_attempts: 0"} {
		os.WriteFile(path, []byte("limits:\n  "+bad+"\n"), 0o644)
		if _, err := LoadConfig(path, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "limits."+strings.Split(bad, ":")[0]) {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
}
