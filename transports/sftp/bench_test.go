package sftp

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// benchSize is the upload size of the benchmarks (the 200 MB comparison
// with OpenSSH is scripts/bench-sftp.sh).
const benchSize = 64 << 20

// BenchmarkUpload uploads benchSize bytes over loopback with pkg/sftp's
// client into a server backed by a real inbox: "stored" is an upload
// under a final name (handed to the inbox before the close returns),
// "part" one under a temporary name (the transfer alone).
//
//	go test ./transports/sftp -run XXX -bench Upload -benchtime 3x
func BenchmarkUpload(b *testing.B) {
	payload := make([]byte, benchSize)
	rand.Read(payload)
	store, err := inbox.Open(b.TempDir(), &inbox.Options{MaxSize: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	e := startServer(b, store, nil)
	u := newUser(b, "bench")
	e.add(u, "bench")
	for _, cipher := range []string{ssh.CipherAES128GCM, ssh.CipherChaCha20Poly1305, ssh.CipherAES128CTR} {
		for _, mode := range []string{"stored", "part"} {
			b.Run(cipher+"/"+mode, func(b *testing.B) {
				cfg := e.clientConfig(u)
				cfg.Ciphers = []string{cipher}
				sc, err := ssh.Dial("tcp", e.addr, cfg)
				if err != nil {
					b.Fatal(err)
				}
				defer sc.Close()
				c, err := pkgsftp.NewClient(sc, pkgsftp.UseConcurrentWrites(true))
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				b.SetBytes(benchSize)
				for i := 0; b.Loop(); i++ {
					payload[0] = byte(i) // new bytes each time: not a duplicate
					name := fmt.Sprintf("/in/%s-%d.bin", mode, i)
					if mode == "part" {
						name += ".part"
					}
					f, err := c.Create(name)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := f.ReadFrom(bytes.NewReader(payload)); err != nil {
						b.Fatal(err)
					}
					if err := f.Close(); err != nil {
						b.Fatal(err)
					}
					if mode == "part" {
						b.StopTimer()
						c.Remove(name)
						b.StartTimer()
					}
				}
			})
		}
	}
}

// BenchmarkInboxReceive is the hand-over alone: inbox.Receive of a
// benchSize file (SHA-256, copy, fsync, record), as an upload's close
// waits for it.
func BenchmarkInboxReceive(b *testing.B) {
	store, err := inbox.Open(b.TempDir(), &inbox.Options{MaxSize: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	path := filepath.Join(b.TempDir(), "payload")
	payload := make([]byte, benchSize)
	rand.Read(payload)
	b.SetBytes(benchSize)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		payload[0] = byte(i)
		os.WriteFile(path, payload, 0o600)
		f, _ := os.Open(path)
		b.StartTimer()
		if _, err := store.Receive(context.Background(), inbox.Arrival{Partner: "bench", Name: "p.bin"}, f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkInboxAdopt is the hand-over with an adopting inbox: the
// payload written through an inbox.Incoming in 32 KiB writes (hashed
// meanwhile), then inbox.Adopt. close-ms is the Adopt alone, what an
// upload's close waits for once the last write is done.
func BenchmarkInboxAdopt(b *testing.B) {
	store, err := inbox.Open(b.TempDir(), &inbox.Options{MaxSize: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	dir := b.TempDir() // the same file system as the inbox
	payload := make([]byte, benchSize)
	rand.Read(payload)
	b.SetBytes(benchSize)
	var closing time.Duration
	for i := 0; b.Loop(); i++ {
		payload[0] = byte(i)
		f, err := os.CreateTemp(dir, "upload-*")
		if err != nil {
			b.Fatal(err)
		}
		in := inbox.NewIncoming(f)
		for off := 0; off < len(payload); off += 32 << 10 {
			if _, err := in.WriteAt(payload[off:off+32<<10], int64(off)); err != nil {
				b.Fatal(err)
			}
		}
		t0 := time.Now()
		if _, err := store.Adopt(context.Background(), inbox.Arrival{Partner: "bench", Name: "p.bin"}, in); err != nil {
			b.Fatal(err)
		}
		closing += time.Since(t0)
		in.Close()
		os.Remove(f.Name())
	}
	b.ReportMetric(float64(closing.Milliseconds())/float64(b.N), "close-ms")
}
