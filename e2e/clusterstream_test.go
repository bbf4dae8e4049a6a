package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/internal/whtest"
)

// tookLease counts the times a node's log says it took the leader lease.
func (e *env) tookLease() int {
	log, _ := os.ReadFile(filepath.Join(e.dir, "server.log"))
	return strings.Count(string(log), "leader: took the lease")
}

// TestClusterChangeStreamLeaderKilled runs three serve processes on one
// PostgreSQL, each with the NATS publisher and a webhook subscriber (a
// Python receiver verifying the signatures) configured. Input events go
// to every node over HTTP while the leader, which alone relays the
// change stream, is killed with SIGKILL mid-stream, and the next leader
// is stopped with SIGTERM mid-stream in turn. The last node finishes
// from the shared cursors: each subscriber, deduplicating on the id,
// applies every event once, in per-SKU order, and ends at the ledger's
// figures; GET /api/v1/streams shows no lag.
func TestClusterChangeStreamLeaderKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("three serve processes")
	}
	natsURL, js := startNATSServer(t)
	secret := stdwebhooks.NewSecret()
	recv := whtest.Start(t, secret.Text())
	recv.SetDelay(t, 5*time.Millisecond)
	first := setup(t)
	secretFile := filepath.Join(first.dir, "mirror.whsec")
	if err := os.WriteFile(secretFile, []byte(secret.Text()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "acme-events-token-cluster"
	sum := sha256.Sum256([]byte(token))
	p := filepath.Join(first.partners, "acme-3pl.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, fmt.Sprintf("\nevents:\n  source: urn:acme:wms\n  token_sha256: %s\n", hex.EncodeToString(sum[:]))...)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	extra := fmt.Sprintf("events:\n  publish:\n    nats:\n      url: %s\n      from_start: true\n      max_batch: 50\n", natsURL) +
		fmt.Sprintf("webhooks:\n  subscribers:\n    - name: mirror\n      url: %s/changes\n      secret_file: %s\n      from_start: true\n", recv.URL, secretFile)
	storage := pg.Database(t)
	if out, err := exec.Command(first.bin, "migrate", "--storage", storage).CombinedOutput(); err != nil {
		t.Fatalf("dockside migrate: %v\n%s", err, out)
	}
	appendConfig := func(e *env, s string) {
		f, err := os.OpenFile(e.config, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(s)
		f.Close()
	}
	appendConfig(first, "storage: "+storage+"\n")
	first.start() // generates the host keys and the AS2 identity the nodes share
	first.stop()
	appendConfig(first, extra)
	nodes := []*env{first, clusterNode(t, first, storage), clusterNode(t, first, storage)}
	took := make([]int, len(nodes))
	for i, n := range nodes {
		if i > 0 {
			appendConfig(n, extra)
		}
		took[i] = n.tookLease()
		n.start()
	}
	alive := []bool{true, true, true}
	var aliveMu sync.Mutex
	// leader waits for a node other than the dead ones to take the lease.
	leader := func(what string) int {
		l := -1
		nodes[0].waitFor(what, 60*time.Second, func() bool {
			aliveMu.Lock()
			defer aliveMu.Unlock()
			for i, n := range nodes {
				if alive[i] && n.tookLease() > took[i] {
					l = i
					return true
				}
			}
			return false
		})
		took[l] = nodes[l].tookLease()
		return l
	}

	// The input: batches of receipts and adjustments over 4 SKUs, to the
	// nodes in turn, let in by thirds around the two leader changes.
	const batches, perBatch, posters = 45, 20, 3
	skus := []string{"CL-1", "CL-2", "CL.3", "CL_4"}
	want := map[string]int64{}
	event := func(n int) string {
		sku := skus[n%len(skus)]
		qty := int64(1 + n%5)
		kind, extra := "receipt", ""
		if n%7 == 3 {
			kind, qty, extra = "adjustment", -1, `,"reason":"count"`
		}
		want[sku] += qty
		return fmt.Sprintf(`{"specversion":"1.0","id":"cl-%d","source":"urn:acme:wms","type":"dockside.inventory.%s","data":{"sku":%q,"location":"dallas","quantity":%d%s}}`,
			n, kind, sku, qty, extra)
	}
	bodies := make([]string, batches)
	for i := range batches {
		var evs []string
		for j := range perBatch {
			evs = append(evs, event(i*perBatch+j))
		}
		bodies[i] = "[" + strings.Join(evs, ",") + "]"
	}
	var next, accepted, released atomic.Int64
	released.Store(1)
	post := func(i int) {
		for try := i; ; try++ {
			n := try % len(nodes)
			aliveMu.Lock()
			up := alive[n]
			aliveMu.Unlock()
			if !up {
				continue
			}
			req, _ := http.NewRequest("POST", fmt.Sprintf("http://127.0.0.1:%d/api/v1/events", nodes[n].httpPort), strings.NewReader(bodies[i]))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusAccepted {
					accepted.Add(1)
					return
				}
				if resp.StatusCode != http.StatusServiceUnavailable && resp.StatusCode != http.StatusConflict && resp.StatusCode < 500 {
					t.Errorf("POST /api/v1/events to node %d: %d", n, resp.StatusCode)
					return
				}
			}
			time.Sleep(100 * time.Millisecond) // that node is down or busy: the same batch to the next
		}
	}
	var wg sync.WaitGroup
	for range posters {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= batches {
					return
				}
				for i*3 >= released.Load()*batches {
					time.Sleep(20 * time.Millisecond)
				}
				post(int(i))
				time.Sleep(300 * time.Millisecond) // a stream, not a burst
			}
		})
	}
	delivered := func() []stream.Event { return deliveredEvents(t, recv) }
	var changes []string
	for k, how := range []string{"SIGKILL", "SIGTERM"} {
		l := leader(fmt.Sprintf("leader %d", k+1))
		nodes[l].waitFor("input and output", 60*time.Second, func() bool {
			return accepted.Load() >= int64((k+1)*batches/3) && len(readChanges(t, js)) > 0 && len(delivered()) > 0
		})
		released.Store(int64(k + 2)) // the next third streams in across the change of leader
		aliveMu.Lock()
		alive[l] = false
		aliveMu.Unlock()
		if how == "SIGKILL" {
			nodes[l].kill()
		} else {
			nodes[l].stop()
		}
		changes = append(changes, fmt.Sprintf("%s of node %d at %d batches accepted, %d change events published, %d webhooks delivered",
			how, l, accepted.Load(), len(readChanges(t, js)), len(delivered())))
	}
	last := leader("the last leader")
	wg.Wait()
	total := batches * perBatch
	distinct := func(evs []stream.Event) int {
		ids := map[string]bool{}
		for _, ev := range evs {
			ids[ev.ID] = true
		}
		return len(ids)
	}
	e := nodes[last]
	e.waitFor("every change event", 120*time.Second, func() bool {
		return distinct(readChanges(t, js)) >= total && distinct(delivered()) >= total
	})
	var streams struct {
		Subscribers []struct {
			Subscriber, Kind string
			Lag, Last        uint64
			Running          bool
		}
	}
	e.waitFor("no lag in GET /api/v1/streams", 20*time.Second, func() bool {
		e.api("GET", "/api/v1/streams", "", nil, http.StatusOK, &streams)
		caught := 0
		for _, s := range streams.Subscribers {
			if s.Lag == 0 && s.Last > 0 && s.Running {
				caught++
			}
		}
		return caught == 2
	})
	for _, sku := range skus {
		if got := e.clusterStock(sku, "dallas")["on_hand"]; int64(got) != want[sku] {
			t.Errorf("%s on hand %v, want %d", sku, got, want[sku])
		}
	}
	out, hooks := readChanges(t, js), delivered()
	dups := []int{checkApplied(t, "NATS", out, total, skus, want), checkApplied(t, "webhook", hooks, total, skus, want)}
	t.Logf("%d input events in %d batches over three nodes; %s; %d NATS messages out (%d duplicates), %d webhooks (%d duplicates)",
		total, batches, strings.Join(changes, ", then "), len(out), dups[0], len(hooks), dups[1])
	for _, c := range changes {
		if strings.Contains(c, fmt.Sprintf(" %d webhooks delivered", total)) {
			t.Errorf("every event was out before a change of leader: the test did not change leaders mid-stream")
		}
	}
	e.stop()
}
