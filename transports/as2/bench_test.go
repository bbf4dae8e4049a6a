//go:build unix

package as2

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/libcrypto"
	"github.com/dockside-edi/dockside/outbox"
)

// benchSenders is the number of concurrent senders of the benchmarks.
const benchSenders = 4

// benchDirs are where the receiving station keeps its inbox and store:
// tmpfs measures the AS2 work, disk adds this machine's fsyncs (the
// inbox syncs each payload before the MDN says "processed").
func benchDirs(b *testing.B) map[string]func(testing.TB) string {
	dirs := map[string]func(testing.TB) string{"disk": func(tb testing.TB) string { return tb.TempDir() }}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		dirs["tmpfs"] = fastTempDir
	}
	return dirs
}

// BenchmarkAS2SignedEncrypted: Dockside to Dockside over loopback HTTP,
// 10 KB payloads signed (SHA-256) and encrypted (AES-256-CBC), signed
// synchronous MDNs verified, 4 concurrent senders. Both stations run in
// this process: per message the sender signs and the receiver decrypts
// and signs the MDN (three RSA private operations on the same cores).
func BenchmarkAS2SignedEncrypted(b *testing.B) {
	for _, where := range []string{"tmpfs", "disk"} {
		mk, ok := benchDirs(b)[where]
		if !ok {
			continue
		}
		b.Run("store="+where, func(b *testing.B) {
			a, dst := benchStations(b, mk)
			payload := testPayload(10 << 10)[:10<<10]
			var next atomic.Uint64
			b.SetBytes(int64(len(payload)))
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			parallel(b, func() error {
				id := next.Add(1)
				m := &outbox.Message{ID: id, Partner: "acme", Name: "stock.edi", Created: start}
				r, err := a.sender.Send(context.Background(), m, payload)
				if err == nil && !bytes.Contains([]byte(r.Text), []byte("processed")) {
					err = fmt.Errorf("receipt %q", r.Text)
				}
				return err
			})
			reportRates(b, start, cpu0, "msgs")
			_ = dst
		})
	}
}

// BenchmarkAS2Receive: the receiving side alone. Messages are signed and
// encrypted beforehand; 4 concurrent clients post them (each with its own
// Message-ID) and verify the signed MDN's signature and MIC. Per message
// the station makes the two private operations of the limit.
func BenchmarkAS2Receive(b *testing.B) {
	for _, where := range []string{"tmpfs", "disk"} {
		mk, ok := benchDirs(b)[where]
		if !ok {
			continue
		}
		b.Run("store="+where, func(b *testing.B) {
			a, dst := benchStations(b, mk)
			p, _ := a.partners.ByID("acme")
			p, _ = p.normalized()
			const distinct = 64
			msgs := make([]*outboundMessage, distinct)
			for i := range msgs {
				payload := testPayload(10 << 10)[:10<<10]
				payload[100] = byte(i) // distinct bytes: no inbox duplicates
				var err error
				if msgs[i], err = buildMessage(p, a.id.Identity, &outbox.Message{ID: uint64(i)}, payload, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			client := dst.server.Client()
			var next atomic.Uint64
			b.SetBytes(10 << 10)
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			parallel(b, func() error {
				n := next.Add(1)
				msg := msgs[n%distinct]
				msgID := fmt.Sprintf("<bench-%d@DOCKSIDE>", n)
				req, _ := http.NewRequest(http.MethodPost, dst.server.URL, bytes.NewReader(msg.entity.body))
				req.Header["AS2-From"] = []string{quoteAS2ID(a.id.AS2ID)}
				req.Header["AS2-To"] = []string{quoteAS2ID(dst.id.AS2ID)}
				req.Header["Message-ID"] = []string{msgID}
				req.Header["Disposition-Notification-To"] = []string{"x"}
				req.Header["Disposition-Notification-Options"] = []string{dnoSHA256}
				for _, f := range msg.entity.fields {
					req.Header[f.name] = []string{f.value}
				}
				resp, err := client.Do(req)
				if err != nil {
					return err
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return err
				}
				mdn, err := parseMDN(resp.Header.Get("Content-Type"), body, []*x509Cert{dst.id.Cert}, true)
				if err != nil {
					return err
				}
				return checkMDN(mdn, msgID, msg.mic, true)
			})
			reportRates(b, start, cpu0, "msgs")
		})
	}
}

// BenchmarkRSA2048Private is the RSA-2048 private operation (PKCS#1
// v1.5 signature) on all cores, with Go's crypto/rsa and with the key as
// the stations use it (libcrypto when loaded): the figures to compare
// with `openssl speed rsa2048`.
func BenchmarkRSA2048Private(b *testing.B) {
	key := ident(b, "dockside").Key.(*rsa.PrivateKey)
	fast := libcrypto.NewKey(key)
	h := sha256.Sum256([]byte("x"))
	for _, s := range []struct {
		name   string
		signer crypto.Signer
	}{{"impl=crypto-rsa", key}, {"impl=station", fast}} {
		b.Run(s.name, func(b *testing.B) {
			b.Logf("station key: %s", fast.Implementation())
			start, cpu0 := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.signer.Sign(rand.Reader, h[:], crypto.SHA256); err != nil {
						b.Error(err)
					}
				}
			})
			reportRates(b, start, cpu0, "ops")
		})
	}
}

// benchStations makes a sending station (not serving) and a receiving
// one whose data lives in a folder from mk.
func benchStations(b *testing.B, mk func(testing.TB) string) (a, dst *station) {
	us, them := ident(b, "dockside"), ident(b, "partner")
	dst = newStationIn(b, mk(b), them, Partner{ID: "dockside", AS2ID: us.AS2ID, Certs: []*x509Cert{us.Cert}, RequireSigned: true, RequireEncrypted: true})
	a = newStationIn(b, fastTempDir(b), us)
	tr := &http.Transport{MaxIdleConnsPerHost: benchSenders * 2}
	b.Cleanup(tr.CloseIdleConnections)
	a.sender.cfg.Client = &http.Client{Transport: tr, Timeout: time.Minute}
	dst.server.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = benchSenders * 2
	a.setPartners(Partner{ID: "acme", AS2ID: them.AS2ID, URL: dst.server.URL, Certs: []*x509Cert{them.Cert},
		Sign: SignSHA256, Encrypt: EncryptAES256CBC, MDN: MDNSync, MDNSigned: true})
	return a, dst
}

// parallel runs fn b.N times from benchSenders goroutines.
func parallel(b *testing.B, fn func() error) {
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	var once sync.Once
	for range benchSenders {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if err := fn(); err != nil {
					once.Do(func() { b.Error(err) })
					return
				}
			}
		})
	}
	wg.Wait()
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports b.N per wall-clock second and per CPU second of
// the process. The machine is shared: the CPU-second rate is the one
// that holds when other work runs, and compares with `openssl speed`,
// which also divides by CPU time.
func reportRates(b *testing.B, start time.Time, cpu0 time.Duration, unit string) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), unit+"/s")
	b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), unit+"/CPU-s")
}
