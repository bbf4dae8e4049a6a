package web

import (
	"context"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/broadcast"
)

// TestStatePillsReadAsWords: a state shown in a pill reads as words ("not
// sent"), while its style class keeps the state's name.
func TestStatePillsReadAsWords(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	if _, err := f.broadcaster().Broadcast(context.Background(), "shopmart", broadcast.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/partners/shopmart"} { // its advice list shows previews too
		body := f.do(request{target: target, token: opSecret}).Body.String()
		if !strings.Contains(body, `class="pill st-not-sent">not sent</span>`) || strings.Contains(body, ">not_sent<") {
			t.Errorf("%s: the built-only advice is not shown as \"not sent\"", target)
		}
	}
}

// TestLastAdviceIsWhatWasSent: a preview built after the last advice sent
// does not become the channel's "last advice" on the partners page and
// API: that is what the channel was told.
func TestLastAdviceIsWhatWasSent(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var before struct{ Partners []partnerSummary }
	f.get("/api/v1/partners", &before)
	var sent *broadcast.Broadcast
	for _, p := range before.Partners {
		if p.Profile.ID == "shopmart" {
			sent = p.Health.LastBroadcast
		}
	}
	if sent == nil || sent.State == broadcast.StateNotSent {
		t.Fatalf("the fixture's sent advice is not the last one: %+v", sent)
	}
	preview, err := f.broadcaster().Broadcast(context.Background(), "shopmart", broadcast.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var after struct{ Partners []partnerSummary }
	f.get("/api/v1/partners", &after)
	for _, p := range after.Partners {
		if p.Profile.ID == "shopmart" && (p.Health.LastBroadcast == nil || p.Health.LastBroadcast.ID != sent.ID) {
			t.Errorf("last advice %+v after preview %d, want the sent %d", p.Health.LastBroadcast, preview.Broadcast.ID, sent.ID)
		}
	}
}
