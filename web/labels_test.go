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
	for _, target := range []string{"/partners", "/partners/shopmart"} {
		body := f.do(request{target: target, token: opSecret}).Body.String()
		if !strings.Contains(body, `class="pill st-not-sent">not sent</span>`) || strings.Contains(body, ">not_sent<") {
			t.Errorf("%s: the built-only advice is not shown as \"not sent\"", target)
		}
	}
}
