package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
)

// The supplier whose stock counts reach the ledger through a watched
// folder, and the channel whose 846 advice goes to a local drop folder:
// deltas two seconds after a change, SKU-A and SKU-B only.
const (
	makerProfile = `id: maker
name: Maker
role: supplier
transports:
  inbound:
    - folder:
        path: %s
documents:
  - type: csv
    content: adjustments
    mapping:
      columns: {sku: sku, location: location, quantity: qty}
`
	dropshopProfile = `id: dropshop
name: Drop Shop
role: channel
identities:
  isa: [{qualifier: ZZ, id: DROPSHOP}]
transports:
  outbound:
    - folder:
        path: %s
tables:
  dropshop_items:
    map: {SKU-A: DA, SKU-B: DB}
    on_miss: skip
advice:
  schedule: "0 0 1 1 *"
  mode: delta
  debounce: 2s
  items: {qualifier: SK, lookup: dropshop_items}
  policy: {locations: [L1]}
`
)

// channelEnv is dockside serve with the maker and the drop shop.
type channelEnv struct {
	*env
	in, out string
	files   int
}

// setupChannel builds dockside and writes its configuration: bbolt in
// the data folder when storage is empty, else that PostgreSQL database,
// migrated here with `dockside migrate`, with a claim lease of a second
// (what a killed serve was at is taken up a second after, not a minute).
func setupChannel(t *testing.T, storage string) *channelEnv {
	e := &env{t: t, dir: t.TempDir(), repo: root(t)}
	e.bin = filepath.Join(e.dir, "dockside")
	build := exec.Command("go", "build", "-o", e.bin, "./cmd/dockside")
	build.Dir = e.repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building dockside: %v\n%s", err, out)
	}
	c := &channelEnv{env: e, in: filepath.Join(e.dir, "maker-in"), out: filepath.Join(e.dir, "dropshop-out")}
	e.data, e.partners = filepath.Join(e.dir, "data"), filepath.Join(e.dir, "partners")
	for _, d := range []string{c.in, c.out, e.partners} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(filepath.Join(e.partners, "maker.yaml"), []byte(fmt.Sprintf(makerProfile, c.in)), 0o644)
	os.WriteFile(filepath.Join(e.partners, "dropshop.yaml"), []byte(fmt.Sprintf(dropshopProfile, c.out)), 0o644)
	e.httpPort, e.sftpPort = freePort(t), freePort(t)
	e.config = filepath.Join(e.dir, "dockside.yaml")
	cfg := fmt.Sprintf("data: %s\npartners: %s\nworkers: 2\nhttp:\n  listen: 127.0.0.1:%d\nsftp:\n  listen: 127.0.0.1:%d\n"+
		"folders:\n  rescan: 1s\noutbox:\n  retry_delay: 500ms\n  max_retry_delay: 1s\n", e.data, e.partners, e.httpPort, e.sftpPort)
	if storage != "" {
		if out, err := exec.Command(e.bin, "migrate", "--storage", storage).CombinedOutput(); err != nil {
			t.Fatalf("dockside migrate: %v\n%s", err, out)
		}
		cfg += "storage: " + storage + "\nclaim_lease: 1s\n"
	}
	os.WriteFile(e.config, []byte(cfg), 0o644)
	return c
}

// adjust drops a CSV of adjustments ("SKU-A:L1:5") into the maker's folder.
func (c *channelEnv) adjust(rows ...string) {
	c.files++
	var b strings.Builder
	b.WriteString("sku,location,qty\n")
	for _, r := range rows {
		b.WriteString(strings.ReplaceAll(r, ":", ",") + "\n")
	}
	tmp := filepath.Join(c.dir, "adj.tmp")
	os.WriteFile(tmp, []byte(b.String()), 0o644)
	if err := os.Rename(tmp, filepath.Join(c.in, fmt.Sprintf("adj-%03d.csv", c.files))); err != nil {
		c.t.Fatal(err)
	}
}

// ingest posts adjustments with the CLI while serve is stopped.
func (c *channelEnv) ingest(rows ...string) {
	c.files++
	var b strings.Builder
	b.WriteString("sku,location,qty\n")
	for _, r := range rows {
		b.WriteString(strings.ReplaceAll(r, ":", ",") + "\n")
	}
	f := filepath.Join(c.dir, fmt.Sprintf("cli-%03d.csv", c.files))
	os.WriteFile(f, []byte(b.String()), 0o644)
	if out, err := exec.Command(c.bin, "ingest", "--config", c.config, "--partner", "maker", f).CombinedOutput(); err != nil {
		c.t.Fatalf("dockside ingest: %v\n%s", err, out)
	}
}

// advice reads every 846 in the drop folder, oldest first, and returns
// the figure the channel holds for each item, and the items of each file.
func (c *channelEnv) advice() (map[string]string, []int) {
	names, _ := filepath.Glob(filepath.Join(c.out, "846-*.x12"))
	slices.Sort(names) // the interchange number, zero-padded
	held := map[string]string{}
	var items []int
	for _, n := range names {
		body, err := os.ReadFile(n)
		if err != nil {
			c.t.Fatal(err)
		}
		count := 0
		_, err = x12.Check(bytes.NewReader(body), x12.EnvelopeOnly, nil, func(tx *x12.Transaction, _ *x12.SetResult) error {
			doc, err := documents.Decode846(tx)
			if err != nil {
				return err
			}
			for _, it := range doc.Items {
				held[it.IDs[0].ID] = string(it.Quantities[0].Quantity)
				count++
			}
			return nil
		})
		if err != nil {
			c.t.Fatalf("%s: %v", n, err)
		}
		items = append(items, count)
	}
	return held, items
}

// waitHeld waits until the channel holds the figures.
func (c *channelEnv) waitHeld(what string, want map[string]string) {
	c.t.Helper()
	c.waitFor(what, 30*time.Second, func() bool {
		held, _ := c.advice()
		for k, v := range want {
			if held[k] != v {
				return false
			}
		}
		return true
	})
}

// believes asks the API what the channel believes.
func (c *channelEnv) believes() map[string]int64 {
	var b struct{ Believes map[string]int64 }
	c.api("GET", "/api/v1/partners/dropshop/believes", "", nil, 200, &b)
	return b.Believes
}

// onHand waits until the API shows the SKU's on-hand figure at L1.
func (c *channelEnv) onHand(sku string, want int64) {
	c.t.Helper()
	c.waitFor(fmt.Sprintf("%s on hand %d", sku, want), 20*time.Second, func() bool {
		body := c.get("/api/v1/stock?sku_prefix=" + sku)
		var page struct {
			Balances []struct {
				SKU, Location string
				OnHand        int64 `json:"on_hand"`
			}
		}
		json.Unmarshal([]byte(body), &page)
		for _, r := range page.Balances {
			if r.SKU == sku && r.Location == "L1" && r.OnHand == want {
				return true
			}
		}
		return false
	})
}

// TestChannelTruthThroughServe runs dockside serve with a channel whose
// advice goes to a drop folder (issue 14): an unacknowledged delta
// followed by a change back, a change to a SKU the channel does not
// carry, a delivery that fails and recovers, restarts inside the
// debounce window (SIGTERM and SIGKILL) and changes made while serve is
// down. The channel must end up holding every figure, and no 846 may
// have zero items. It runs on bbolt and on PostgreSQL.
func TestChannelTruthThroughServe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs dockside serve")
	}
	t.Run("bbolt", func(t *testing.T) { channelTruth(t, "") })
	t.Run("postgres", func(t *testing.T) { channelTruth(t, pg.Database(t)) })
}

func channelTruth(t *testing.T, storage string) {
	c := setupChannel(t, storage)
	c.start()
	c.adjust("SKU-A:L1:94", "SKU-B:L1:10")
	c.waitHeld("the first advice", map[string]string{"DA": "94", "DB": "10"})

	// 94 → 150 (delivered, never acknowledged) → 94.
	c.adjust("SKU-A:L1:56")
	c.waitHeld("A at 150", map[string]string{"DA": "150"})
	c.adjust("SKU-A:L1:-56")
	c.waitHeld("A back at 94", map[string]string{"DA": "94"})
	c.waitFor("the belief to follow delivery", 10*time.Second, func() bool { return c.believes()["SKU-A"] == 94 })

	// A SKU the channel does not carry: nothing is sent for it.
	c.adjust("SKU-Z:L1:5")
	c.onHand("SKU-Z", 5)

	// The drop folder is not usable: the advice fails, the channel keeps
	// 94 and the API says so.
	os.Rename(c.out, c.out+".away")
	os.WriteFile(c.out, []byte("not a folder"), 0o644)
	c.adjust("SKU-A:L1:6")
	c.waitFor("the advice to fail", 30*time.Second, func() bool {
		var bl struct {
			Broadcasts []struct{ Delivery, State string }
		}
		c.api("GET", "/api/v1/broadcasts?partner=dropshop&limit=1", "", nil, 200, &bl)
		return len(bl.Broadcasts) == 1 && bl.Broadcasts[0].Delivery == "failed" && bl.Broadcasts[0].State == "failed"
	})
	if b := c.believes(); b["SKU-A"] != 94 {
		t.Errorf("while delivery fails the API says the channel believes %d", b["SKU-A"])
	}
	var beliefs struct{ Possible map[string][]int64 }
	c.api("GET", "/api/v1/partners/dropshop/believes", "", nil, 200, &beliefs)
	if fmt.Sprint(beliefs.Possible["SKU-A"]) != "[100]" {
		t.Errorf("while delivery fails the API says the channel may also hold %v", beliefs.Possible)
	}
	var detail struct {
		Health struct {
			Status     string
			Deliveries struct{ Failing int }
		}
	}
	c.api("GET", "/api/v1/partners/dropshop", "", nil, 200, &detail)
	if detail.Health.Status == "ok" || detail.Health.Deliveries.Failing == 0 {
		t.Errorf("while delivery fails the partner's health is %+v", detail.Health)
	}
	var div struct {
		Rows []struct {
			SKU          string
			Ours, Theirs int64
		}
	}
	c.waitFor("the divergence report to show SKU-A", 15*time.Second, func() bool {
		c.api("GET", "/api/v1/divergence?partner=dropshop", "", nil, 200, &div)
		return len(div.Rows) == 1 && div.Rows[0].SKU == "SKU-A" && div.Rows[0].Ours == 100 && div.Rows[0].Theirs == 94
	})
	os.Remove(c.out)
	os.Rename(c.out+".away", c.out)
	c.waitHeld("delivery to recover", map[string]string{"DA": "100"})
	c.waitFor("the belief to follow delivery", 10*time.Second, func() bool { return c.believes()["SKU-A"] == 100 })

	// Restarts inside the debounce window.
	c.adjust("SKU-B:L1:1")
	c.onHand("SKU-B", 11)
	c.stop()
	c.start()
	c.waitHeld("the push after SIGTERM", map[string]string{"DB": "11"})

	c.adjust("SKU-B:L1:2") // not the same content: that would be a duplicate
	c.onHand("SKU-B", 13)
	c.server.Process.Signal(syscall.SIGKILL)
	c.server.Wait()
	c.start()
	c.waitHeld("the push after SIGKILL", map[string]string{"DB": "13"})

	// Changes while serve is down.
	c.stop()
	c.ingest("SKU-A:L1:7")
	c.start()
	c.waitHeld("the push of the CLI's change", map[string]string{"DA": "107"})
	c.waitFor("the belief", 10*time.Second, func() bool { b := c.believes(); return b["SKU-A"] == 107 && b["SKU-B"] == 13 })
	c.stop()

	held, items := c.advice()
	if slices.Contains(items, 0) {
		t.Errorf("an 846 with zero items was sent: items per file %v", items)
	}
	if _, ok := held["SKU-Z"]; ok || len(held) != 2 {
		t.Errorf("the channel holds %v", held)
	}
	t.Logf("%d advice files, items %v", len(items), items)
	if _, err := os.Stat(filepath.Join(c.data, "ledger.db")); (err == nil) != (storage == "") {
		t.Errorf("storage %q: the ledger file in the data folder: %v", storage, err)
	}
}
