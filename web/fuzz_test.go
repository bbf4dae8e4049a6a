package web

import (
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/ledger"
)

// FuzzSessionCookie: no cookie value but a signed one authenticates, and
// none makes verification panic.
func FuzzSessionCookie(f *testing.F) {
	fx := newFixture(f, fixtureOptions{noSeed: true})
	s := fx.srv
	good, _ := s.newSession(s.byName("ops"))
	f.Add(good)
	f.Add("b3Bz.99999999999.AAAA")
	f.Add("..")
	f.Add("dmlld2Vy." + strings.Repeat("9", 30) + ".x")
	f.Fuzz(func(t *testing.T, value string) {
		p := s.verifySession(value)
		if p != nil && value != good {
			t.Fatalf("forged session %q accepted as %s", value, p.Name)
		}
	})
}

// FuzzCursor: a stock cursor decodes to the position it encodes, and
// anything else is a bad request, never a panic.
func FuzzCursor(f *testing.F) {
	f.Add("WIDGET-RED", "dallas")
	f.Add("A", "")
	f.Add("x\x00y", "z")
	f.Fuzz(func(t *testing.T, sku, loc string) {
		c := encodeCursor(ledger.Position{SKU: sku, Location: loc})
		p, err := decodeCursor(c)
		if strings.Contains(sku, "\x00") || sku == "" {
			return // not a ledger SKU
		}
		if err != nil || p.SKU != sku || p.Location != loc {
			t.Fatalf("%q %q: %+v %v", sku, loc, p, err)
		}
		decodeCursor(sku) // arbitrary input: must not panic
	})
}
