package as2

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingHandler counts the body bytes the handler reads.
func countingHandler(h http.Handler, read *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &countingReader{ReadCloser: r.Body, n: read}
		h.ServeHTTP(w, r)
	})
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// patternReader yields n bytes of a repeated pattern without holding
// them.
type patternReader struct{ left int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.left))
	for i := range n {
		b[i] = 'A' + byte(i%26)
	}
	p.left -= int64(n)
	return n, nil
}

// continueClient sends bodies only after the server's 100 Continue, as
// curl does with large ones: a server that answers without reading the
// body gets no body on the wire (and the client no broken pipe).
func continueClient(t testing.TB) *http.Client {
	tr := &http.Transport{ExpectContinueTimeout: time.Minute}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestChecksBeforeBody: what needs no body is refused without reading
// the body: missing AS2 headers, an announced size over MaxBody, a
// stranger's message or MDN, a client over its rate.
func TestChecksBeforeBody(t *testing.T) {
	us, them := ident(t, "dockside"), ident(t, "partner")
	st := newStation(t, us, Partner{ID: "acme", AS2ID: them.AS2ID, Certs: []*x509Cert{them.Cert}})
	st.handler.cfg.MaxBody = 8 << 20
	var read atomic.Int64
	srv := httptest.NewServer(countingHandler(st.handler, &read))
	defer srv.Close()
	as2 := map[string]string{"AS2-From": `"Acme Retail"`, "AS2-To": "DOCKSIDE", "Message-ID": "<c@x>", "Content-Type": "application/edi-x12"}
	with := func(k, v string) map[string]string {
		h := map[string]string{}
		for a, b := range as2 {
			h[a] = b
		}
		if v == "" {
			delete(h, k)
		} else {
			h[k] = v
		}
		return h
	}
	tests := []struct {
		name    string
		headers map[string]string
		size    int64
		status  int
	}{
		{"no AS2 headers", map[string]string{"Content-Type": "application/octet-stream"}, 4 << 20, http.StatusBadRequest},
		{"no Message-ID", with("Message-ID", ""), 4 << 20, http.StatusBadRequest},
		{"announced over MaxBody", as2, 9 << 20, http.StatusRequestEntityTooLarge},
		{"stranger's message", with("AS2-From", "NOBODY"), 4 << 20, http.StatusBadRequest},
		{"stranger's MDN", with("Content-Type", "message/disposition-notification"), 4 << 20, http.StatusForbidden},
	}
	tests[4].headers["AS2-From"] = "NOBODY"
	client := continueClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			read.Store(0)
			req, _ := http.NewRequest(http.MethodPost, srv.URL, &patternReader{left: tt.size})
			req.ContentLength = tt.size
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			req.Header.Set("Expect", "100-continue")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("HTTP %d, want %d", resp.StatusCode, tt.status)
			}
			if n := read.Load(); n != 0 {
				t.Fatalf("the handler read %d body bytes", n)
			}
		})
	}
}

// TestRateLimitPerAddress: a client address over its burst is refused
// with 429 and Retry-After before its body is read.
func TestRateLimitPerAddress(t *testing.T) {
	us, them := ident(t, "dockside"), ident(t, "partner")
	st := newStation(t, us, Partner{ID: "acme", AS2ID: them.AS2ID, Certs: []*x509Cert{them.Cert}})
	now := time.Unix(1_800_000_000, 0)
	st.handler.cfg.Now = func() time.Time { return now }
	st.handler.limits = newAddrLimits(1, 2)
	var read atomic.Int64
	srv := httptest.NewServer(countingHandler(st.handler, &read))
	defer srv.Close()
	post := func(i int) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("ISA*00~"))
		req.Header.Set("AS2-From", `"Acme Retail"`)
		req.Header.Set("AS2-To", "DOCKSIDE")
		req.Header.Set("Message-ID", fmt.Sprintf("<rate-%d@x>", i))
		req.Header.Set("Content-Type", "application/edi-x12")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 2 {
		if resp := post(i); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d of the burst: HTTP %d", i+1, resp.StatusCode)
		}
	}
	before := read.Load()
	resp := post(2)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("over the burst: HTTP %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if read.Load() != before {
		t.Fatal("the refused request's body was read")
	}
	now = now.Add(time.Second)
	if resp := post(3); resp.StatusCode != http.StatusOK {
		t.Fatalf("a second later: HTTP %d", resp.StatusCode)
	}
}

// TestSpooledBody: a body over spoolAbove goes through a file in
// SpoolDir, arrives whole, and leaves no file behind.
func TestSpooledBody(t *testing.T) {
	us, them := ident(t, "dockside"), ident(t, "partner")
	st := newStation(t, us, Partner{ID: "acme", AS2ID: them.AS2ID, Certs: []*x509Cert{them.Cert}})
	spool := t.TempDir()
	st.handler.cfg.SpoolDir = spool
	payload := testPayload(3 << 20)
	for _, chunked := range []bool{false, true} {
		var r io.Reader = bytes.NewReader(payload)
		if chunked {
			r = io.MultiReader(r) // no length known: chunked
		}
		req, _ := http.NewRequest(http.MethodPost, st.server.URL, r)
		req.Header.Set("AS2-From", `"Acme Retail"`)
		req.Header.Set("AS2-To", "DOCKSIDE")
		req.Header.Set("Message-ID", fmt.Sprintf("<spool-%v@x>", chunked))
		req.Header.Set("Content-Type", "application/edi-x12")
		resp, err := st.server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("chunked %v: HTTP %d", chunked, resp.StatusCode)
		}
		if _, got := st.newestInbox(t); !bytes.Equal(got, payload) {
			t.Fatalf("chunked %v: the inbox holds %d bytes, sent %d", chunked, len(got), len(payload))
		}
	}
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Fatalf("spool folder holds %d files", len(left))
	}
}

// TestConcurrentLargePostsMemory: 16 concurrent POSTs of MaxBody bytes
// from a known partner (bodies that are not CMS) and 16 without AS2
// headers leave the heap near one body (UnwrapMemory defaults to
// MaxBody), not 16 or 32: the bodies wait on disk. (Before, every body
// was read into memory at once: 32 × 8 MiB.)
func TestConcurrentLargePostsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 256 MiB through the handler")
	}
	const size, n = 8 << 20, 16
	peak := largePosts(t, size, n, t.TempDir())
	t.Logf("peak heap growth %.1f MiB for %d+%d posts of %d MiB", float64(peak)/(1<<20), n, n, size>>20)
	// One body with its base64 reading (1.75 × size), and what the GC
	// has not collected yet; every body in memory at once would be over
	// 32 × size.
	if limit := int64(6 * size); peak > limit {
		t.Fatalf("heap grew by %d MiB under %d concurrent posts of %d MiB, want under %d MiB", peak>>20, 2*n, size>>20, limit>>20)
	}
}

// BenchmarkConcurrentLargePosts reports the peak heap growth and the peak
// RSS (VmHWM) for 16+16 concurrent POSTs of 63 MB, as in issue 16.
func BenchmarkConcurrentLargePosts(b *testing.B) {
	for range b.N {
		peak := largePosts(b, 63_000_000, 16, b.TempDir())
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	}
	b.ReportMetric(float64(procStatus(b, "VmHWM"))/1024, "peak-RSS-MiB")
}

// largePosts POSTs n bodies of size bytes from the known partner (not CMS:
// refused once read) and n without AS2 headers, all at once, and returns
// the peak growth of the heap (live and not yet collected objects)
// sampled meanwhile, with the GC kept tight so that the figure is close
// to what is live.
func largePosts(t testing.TB, size int64, n int, spool string) int64 {
	us, them := ident(t, "dockside"), ident(t, "partner")
	st := newStation(t, us, Partner{ID: "acme", AS2ID: them.AS2ID, Certs: []*x509Cert{them.Cert}})
	st.handler.cfg.SpoolDir = spool
	st.handler.cfg.MaxBody = size // and UnwrapMemory its default, MaxBody
	st.handler.working = newBudget(st.handler.cfg.MaxBody)
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() int64 { metrics.Read(sample); return int64(sample[0].Value.Uint64()) }
	base := heap()
	var peak atomic.Int64
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if h := heap() - base; h > peak.Load() {
				peak.Store(h)
			}
		}
	}()
	client := continueClient(t)
	var wg sync.WaitGroup
	for i := range 2 * n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, st.server.URL, &patternReader{left: size})
			req.ContentLength = size
			req.Header.Set("Expect", "100-continue")
			req.Header.Set("Content-Type", "application/pkcs7-mime; smime-type=enveloped-data")
			if i%2 == 0 {
				req.Header.Set("AS2-From", `"Acme Retail"`)
				req.Header.Set("AS2-To", "DOCKSIDE")
				req.Header.Set("Message-ID", fmt.Sprintf("<large-%d@x>", i))
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest { // not CMS, or no AS2 headers
				t.Errorf("post %d: HTTP %d", i, resp.StatusCode)
			}
		})
	}
	wg.Wait()
	close(done)
	return peak.Load()
}

// procStatus returns a /proc/self/status field in kB (0 when not there).
func procStatus(t testing.TB, field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb
		}
	}
	return 0
}

// TestSpoolBounded: the bodies on disk at a time are bounded by MaxSpool;
// a body that would go over is answered 503 with Retry-After (announced
// or chunked), and what it had spooled is counted back, so that the next
// body fits.
func TestSpoolBounded(t *testing.T) {
	us, them := ident(t, "dockside"), ident(t, "partner")
	st := newStation(t, us, Partner{ID: "acme", AS2ID: them.AS2ID, Certs: []*x509Cert{them.Cert}})
	spool := t.TempDir()
	st.handler.cfg.SpoolDir, st.handler.cfg.MaxSpool = spool, 2<<20
	post := func(name string, size int, chunked bool) *http.Response {
		var r io.Reader = bytes.NewReader(testPayload(size))
		if chunked {
			r = io.MultiReader(r)
		}
		req, _ := http.NewRequest(http.MethodPost, st.server.URL, r)
		req.Header.Set("AS2-From", `"Acme Retail"`)
		req.Header.Set("AS2-To", "DOCKSIDE")
		req.Header.Set("Message-ID", "<"+name+"@x>")
		req.Header.Set("Content-Type", "application/edi-x12")
		resp, err := st.server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, chunked := range []bool{false, true} {
		resp := post(fmt.Sprintf("over-%v", chunked), 3<<20, chunked)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("chunked %v: a body over MaxSpool answered %d (Retry-After %q), want 503", chunked, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if n := st.handler.spooled.Load(); n != 0 {
			t.Errorf("chunked %v: %d bytes still counted as spooled", chunked, n)
		}
	}
	if resp := post("fits", 3<<19, true); resp.StatusCode != http.StatusOK {
		t.Errorf("a body under MaxSpool after the refusals: HTTP %d", resp.StatusCode)
	}
	if n := st.handler.spooled.Load(); n != 0 {
		t.Errorf("%d bytes still counted as spooled", n)
	}
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Fatalf("spool folder holds %d files", len(left))
	}
}
