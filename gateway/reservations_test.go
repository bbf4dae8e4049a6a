package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/reservations"
	"github.com/dockside-edi/dockside/web"
)

func TestReservationsAreAtomicAndIdempotent(t *testing.T) {
	g, _ := openTest(t, nil)
	ctx := context.Background()
	g.Ledger.Post(ctx, ledger.Document{Key: "stock", Movements: []ledger.Movement{{SourceKey: "stock", SKU: "A", Location: "dallas", Kind: ledger.KindReceipt, Quantity: 10}}})
	r, err := OpenReservations(t.TempDir(), g.Ledger, g.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := r.Reserve(ctx, web.Reservation{Key: "k1", SKU: "A", Location: "dallas", Quantity: 6})
	if err != nil || res.Available != 4 || res.Order != "k1" || res.Replayed {
		t.Fatalf("first reservation: %+v %v", res, err)
	}
	again, err := r.Reserve(ctx, web.Reservation{Key: "k1", SKU: "A", Location: "dallas", Quantity: 6})
	if err != nil || !again.Replayed || again.Seq != res.Seq {
		t.Errorf("retried request: %+v %v", again, err)
	}
	if _, err := r.Reserve(ctx, web.Reservation{Key: "k1", SKU: "A", Location: "dallas", Quantity: 7}); !errors.Is(err, web.ErrKeyReused) {
		t.Errorf("key reused for other figures: %v", err)
	}
	_, err = r.Reserve(ctx, web.Reservation{Key: "k2", SKU: "A", Location: "dallas", Quantity: 5})
	var ie *web.InsufficientError
	if !errors.As(err, &ie) || ie.Available != 4 {
		t.Errorf("over-reservation: %v", err)
	}
	if b := balance(t, g, "A", "dallas"); b.Allocated != 6 {
		t.Errorf("allocated %d", b.Allocated)
	}
	if err := r.Release(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(ctx, "k1"); err != nil {
		t.Errorf("second release: %v", err)
	}
	if b := balance(t, g, "A", "dallas"); b.Allocated != 0 || b.Available() != 10 {
		t.Errorf("after release: %+v", b)
	}
	if err := r.Release(ctx, "nope"); !errors.Is(err, web.ErrNoReservation) {
		t.Errorf("unknown key: %v", err)
	}
}

// TestReleasedKeyRepostedIsConflict: a key whose reservation was released
// holds nothing, so posting it again over HTTP answers 409
// reservation_released (never 200 "replayed"), and nothing is allocated.
func TestReleasedKeyRepostedIsConflict(t *testing.T) {
	g, _ := openTest(t, nil)
	ctx := context.Background()
	g.Ledger.Post(ctx, ledger.Document{Key: "stock", Movements: []ledger.Movement{{SourceKey: "stock", SKU: "A", Location: "dallas", Kind: ledger.KindReceipt, Quantity: 10}}})
	r, err := OpenReservations(t.TempDir(), g.Ledger, g.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	secret, tok, err := web.NewToken("op", web.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	g.Config.HTTP.Tokens = []TokenConfig{{Name: tok.Name, SHA256: tok.SHA256, Role: string(tok.Role)}}
	srv, err := g.BuildWeb(r)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Idempotency-Key", "k1")
		req.Header.Set("Content-Type", "application/json")
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	body := `{"sku":"A","location":"dallas","quantity":6}`
	if code, out := do("POST", "/api/v1/reservations", body); code != http.StatusCreated {
		t.Fatalf("reserve: %d %s", code, out)
	}
	if code, out := do("POST", "/api/v1/reservations", body); code != http.StatusOK || !strings.Contains(out, `"replayed": true`) {
		t.Fatalf("retry while held: %d %s", code, out)
	}
	if code, out := do("DELETE", "/api/v1/reservations/k1", ""); code != http.StatusNoContent {
		t.Fatalf("release: %d %s", code, out)
	}
	code, out := do("POST", "/api/v1/reservations", body)
	if code != http.StatusConflict || !strings.Contains(out, `"reservation_released"`) || !strings.Contains(out, "new Idempotency-Key") {
		t.Errorf("released key posted again: %d %s", code, out)
	}
	if b := balance(t, g, "A", "dallas"); b.Allocated != 0 || b.Available() != 10 {
		t.Errorf("after the repost: %+v", b)
	}
	// The direct call says the same, with the sentinel.
	if _, err := r.Reserve(ctx, web.Reservation{Key: "k1", SKU: "A", Location: "dallas", Quantity: 6, Order: "k1"}); !errors.Is(err, web.ErrKeyReleased) {
		t.Errorf("Reserve of a released key: %v", err)
	}
}

// TestReservationCrashWindows: the reservation records and the ledger are
// two files. A crash after Release posted the release but before its
// record leaves the key looking held: posted again, it still answers
// ErrKeyReleased (never "replayed"). A crash after Reserve posted the
// allocation but before its record: the same request again is replayed,
// and other figures under the key are ErrKeyReused (the ledger holds the
// first), not a record that disagrees with the ledger.
func TestReservationCrashWindows(t *testing.T) {
	g, _ := openTest(t, nil)
	ctx := context.Background()
	g.Ledger.Post(ctx, ledger.Document{Key: "stock", Movements: []ledger.Movement{{SourceKey: "stock", SKU: "A", Location: "dallas", Kind: ledger.KindReceipt, Quantity: 10}}})
	r, err := OpenReservations(t.TempDir(), g.Ledger, g.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ask := web.Reservation{Key: "k1", SKU: "A", Location: "dallas", Quantity: 6}
	if _, err := r.Reserve(ctx, ask); err != nil {
		t.Fatal(err)
	}
	// Release's posting, as Release makes it, without its record.
	if _, err := g.Ledger.Post(ctx, ledger.Document{Key: "api|release|k1", Movements: []ledger.Movement{{SourceKey: "api|release|k1", SKU: "A",
		Location: "dallas", Kind: ledger.KindRelease, Quantity: 6, Reference: ledger.Reference{DocumentType: "reservation", Order: "k1"}}}}); err != nil {
		t.Fatal(err)
	}
	if res, err := r.Reserve(ctx, ask); !errors.Is(err, web.ErrKeyReleased) {
		t.Errorf("key released in the ledger, posted again: %+v %v", res, err)
	}
	if b := balance(t, g, "A", "dallas"); b.Allocated != 0 {
		t.Errorf("allocated %d after the release", b.Allocated)
	}

	// Reserve's posting, as Reserve makes it, without its record.
	if _, err := g.Ledger.Post(ctx, ledger.Document{Key: "api|reservation|k2", Movements: []ledger.Movement{{SourceKey: "api|reserve|k2", SKU: "A",
		Location: "dallas", Kind: ledger.KindAllocate, Quantity: 3, RequireAvailable: true,
		Reference: ledger.Reference{DocumentType: "reservation", Order: "k2"}}}}); err != nil {
		t.Fatal(err)
	}
	if res, err := r.Reserve(ctx, web.Reservation{Key: "k2", SKU: "A", Location: "dallas", Quantity: 5}); !errors.Is(err, web.ErrKeyReused) {
		t.Errorf("other figures under a key the ledger holds: %+v %v", res, err)
	}
	if res, err := r.Reserve(ctx, web.Reservation{Key: "k2", SKU: "A", Location: "dallas", Quantity: 3}); err != nil || !res.Replayed || res.Quantity != 3 || res.Seq == 0 {
		t.Errorf("the same request again: %+v %v", res, err)
	}
	if b := balance(t, g, "A", "dallas"); b.Allocated != 3 {
		t.Errorf("allocated %d, want 3", b.Allocated)
	}
}

// TestReservationSameKeyAtOnce: requests with one Idempotency-Key at
// once, through two Reservations sharing one store (as two nodes share
// PostgreSQL), allocate once and all answer the same reservation.
func TestReservationSameKeyAtOnce(t *testing.T) {
	g, _ := openTest(t, nil)
	ctx := context.Background()
	g.Ledger.Post(ctx, ledger.Document{Key: "stock", Movements: []ledger.Movement{{SourceKey: "stock", SKU: "A", Location: "dallas", Kind: ledger.KindReceipt, Quantity: 10}}})
	store, err := reservations.OpenBolt(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	nodes := []*Reservations{NewReservations(store, g.Ledger, g.Now), NewReservations(store, g.Ledger, g.Now)}
	defer nodes[0].Close()
	const n = 8
	results := make([]web.ReservationResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = nodes[i%2].Reserve(ctx, web.Reservation{Key: "k1", SKU: "A", Location: "dallas", Quantity: 3})
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || results[i].Seq != results[0].Seq || results[i].Quantity != 3 {
			t.Errorf("request %d: %+v %v", i, results[i], errs[i])
		}
	}
	if b := balance(t, g, "A", "dallas"); b.Allocated != 3 {
		t.Errorf("allocated %d, want 3 once", b.Allocated)
	}
}
