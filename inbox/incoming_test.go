package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newIncoming creates an empty file in a temp folder and tracks it.
func newIncoming(t testing.TB) *Incoming {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(t.TempDir(), "upload"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	in := NewIncoming(f)
	t.Cleanup(func() { in.Close() })
	return in
}

// rehash returns the SHA-256 and size of the file's bytes, read whole.
func rehash(t testing.TB, in *Incoming) (string, int64) {
	t.Helper()
	b, err := os.ReadFile(in.File().Name())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), int64(len(b))
}

// checkSum compares the Incoming's hash with a full re-hash of the file.
func checkSum(t testing.TB, in *Incoming) {
	t.Helper()
	sum, size, err := in.Sum(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantSum, wantSize := rehash(t, in)
	if sum != wantSum || size != wantSize {
		t.Fatalf("Sum = %s (%d bytes); the file is %s (%d bytes)", sum, size, wantSum, wantSize)
	}
}

// waitRead waits until the hasher has read the first n bytes, so that a
// test can change bytes already hashed.
func waitRead(t testing.TB, in *Incoming, n int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		in.mu.Lock()
		read := in.hashed
		in.mu.Unlock()
		if read >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hasher read %d of %d bytes in a minute", read, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b
}

func mustWrite(t testing.TB, in *Incoming, p []byte, off int64) {
	t.Helper()
	if n, err := in.WriteAt(p, off); err != nil || n != len(p) {
		t.Fatalf("WriteAt(%d bytes, %d) = %d, %v", len(p), off, n, err)
	}
}

// TestIncomingHashEqualsRehash writes files in many orders and checks
// that the hash made while writing is the hash of the file's bytes.
func TestIncomingHashEqualsRehash(t *testing.T) {
	const size = 6 << 20
	body := randomBytes(1, size)
	const chunk = 32 << 10
	chunks := func() [][2]int64 {
		var out [][2]int64
		for off := int64(0); off < size; off += chunk {
			out = append(out, [2]int64{off, min(off+chunk, size)})
		}
		return out
	}
	// stale: whether the hash must be made again at the end ("yes"), must
	// not ("no": hashed while written).
	for _, tc := range []struct {
		name  string
		stale string
		write func(t *testing.T, in *Incoming)
	}{
		{"empty", "no", func(*testing.T, *Incoming) {}},
		{"one small write", "no", func(t *testing.T, in *Incoming) { mustWrite(t, in, []byte("hello"), 0) }},
		{"in order", "no", func(t *testing.T, in *Incoming) {
			for _, c := range chunks() {
				mustWrite(t, in, body[c[0]:c[1]], c[0])
			}
		}},
		{"reordered within a window", "no", func(t *testing.T, in *Incoming) {
			cs := chunks()
			r := rand.New(rand.NewPCG(2, 2))
			for i := 0; i < len(cs); i += 8 {
				w := cs[i:min(i+8, len(cs))]
				r.Shuffle(len(w), func(a, b int) { w[a], w[b] = w[b], w[a] })
			}
			for _, c := range cs {
				mustWrite(t, in, body[c[0]:c[1]], c[0])
			}
		}},
		{"backwards", "no", func(t *testing.T, in *Incoming) {
			cs := chunks()
			for i := len(cs) - 1; i >= 0; i-- {
				mustWrite(t, in, body[cs[i][0]:cs[i][1]], cs[i][0])
			}
		}},
		{"concurrent writers", "no", func(t *testing.T, in *Incoming) {
			cs := chunks()
			var wg sync.WaitGroup
			work := make(chan [2]int64)
			for range 8 {
				wg.Go(func() {
					for c := range work {
						in.WriteAt(body[c[0]:c[1]], c[0])
					}
				})
			}
			for _, c := range cs {
				work <- c
			}
			close(work)
			wg.Wait()
		}},
		{"overwrite of hashed bytes", "yes", func(t *testing.T, in *Incoming) {
			mustWrite(t, in, body[:4<<20], 0)
			waitRead(t, in, 1<<20)
			mustWrite(t, in, []byte("changed"), 100)
			mustWrite(t, in, body[4<<20:], 4<<20)
		}},
		{"overwrite of bytes not hashed yet", "no", func(t *testing.T, in *Incoming) {
			mustWrite(t, in, body[1<<20:2<<20], 1<<20)
			mustWrite(t, in, []byte("changed"), 1<<20+5)
			mustWrite(t, in, body[:1<<20], 0)
		}},
		{"hole never written", "no", func(t *testing.T, in *Incoming) {
			mustWrite(t, in, body[:1<<20], 0)
			mustWrite(t, in, body[3<<20:], 3<<20)
		}},
		{"tail written first", "no", func(t *testing.T, in *Incoming) {
			mustWrite(t, in, body[5<<20:], 5<<20)
			mustWrite(t, in, body[:5<<20], 0)
		}},
		{"truncate below hashed bytes", "yes", func(t *testing.T, in *Incoming) {
			mustWrite(t, in, body[:4<<20], 0)
			waitRead(t, in, 2<<20)
			if err := in.Truncate(1 << 20); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, in, body[2<<20:3<<20], 1<<20)
		}},
		{"truncate above hashed bytes", "no", func(t *testing.T, in *Incoming) {
			mustWrite(t, in, body[:1<<20], 0)
			mustWrite(t, in, body[2<<20:4<<20], 2<<20)
			if err := in.Truncate(3 << 20); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, in, body[1<<20:2<<20], 1<<20)
		}},
		{"truncate to grow", "no", func(t *testing.T, in *Incoming) {
			mustWrite(t, in, body[:1<<20], 0)
			if err := in.Truncate(5 << 20); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, in, body[2<<20:3<<20], 2<<20)
		}},
		{"more holes than tracked", "yes", func(t *testing.T, in *Incoming) {
			for i := int64(0); i <= maxSpans+10; i++ {
				mustWrite(t, in, body[i:i+1], 1+2*i)
			}
			mustWrite(t, in, body[:1<<20], 0)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := newIncoming(t)
			tc.write(t, in)
			checkSum(t, in)
			if got := in.stale; tc.stale == "yes" && !got || tc.stale == "no" && got {
				t.Errorf("hashed again at the end: %v, want %s", got, tc.stale)
			}
		})
	}
}

// TestIncomingRandomOperations applies random writes and truncations,
// some concurrent, and compares the hash with a re-hash.
func TestIncomingRandomOperations(t *testing.T) {
	for seed := range uint64(20) {
		t.Run("", func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 3))
			body := randomBytes(seed, 4<<20)
			in := newIncoming(t)
			var wg sync.WaitGroup
			for range 60 {
				off := r.Int64N(4 << 20)
				n := min(r.Int64N(512<<10), 4<<20-off)
				switch k := r.IntN(20); {
				case k == 0:
					wg.Wait()
					in.Truncate(r.Int64N(4 << 20))
				case k < 8:
					wg.Go(func() { in.WriteAt(body[off:off+n], off) })
				default:
					// Mostly in order, as clients write.
					wg.Wait()
					in.mu.Lock()
					p := in.written.prefix()
					in.mu.Unlock()
					n = min(n, 4<<20-p)
					mustWrite(t, in, body[p:p+n], p)
				}
			}
			wg.Wait()
			checkSum(t, in)
		})
	}
}

// FuzzIncoming reads operations from the input (write or truncate, an
// offset and a length) and compares the hash with a re-hash. The
// Incoming's sizes are scaled down (hash every 4 KiB, read 16 KiB at a
// time, write back every 64 KiB) with the operations (offsets in 2-byte
// units up to 128 KiB, lengths in 64-byte units up to 16 KiB), so that
// every run crosses them, and the file is on tmpfs when there is one:
// at the real sizes a run wrote megabytes and fsynced, 132 runs a
// second.
func FuzzIncoming(f *testing.F) {
	f.Add([]byte{0, 0, 0, 255, 0, 0, 8, 255})
	f.Add([]byte{0, 0, 16, 200, 0, 0, 0, 200, 1, 0, 4, 0, 0, 0, 30, 100})
	f.Add([]byte{0, 0, 0, 255, 0, 0, 32, 255, 0, 0, 64, 255, 0, 0, 2, 10, 1, 0, 1, 0})
	f.Add([]byte{0, 0, 0, 255, 0, 0, 128, 255, 0, 0, 0, 64, 0, 8, 0, 255, 0, 0, 0, 255})
	body := randomBytes(7, 160<<10)
	dir := fuzzTempDir(f)
	sizes := incomingSizes{hashStep: 4 << 10, hashChunk: 16 << 10, writebackStep: 64 << 10}
	var seq atomic.Int64
	f.Fuzz(func(t *testing.T, ops []byte) {
		name := filepath.Join(dir, fmt.Sprintf("upload-%d", seq.Add(1)))
		file, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
		if err != nil {
			t.Fatal(err)
		}
		in := newIncomingSized(file, sizes)
		defer os.Remove(name)
		defer in.Close()
		for len(ops) >= 4 {
			kind, off, n := ops[0]%4, int64(binary.BigEndian.Uint16(ops[1:3]))*2, int64(ops[3])*64
			ops = ops[4:]
			if off+n > int64(len(body)) {
				n = int64(len(body)) - off
			}
			if kind == 1 {
				in.Truncate(off)
				continue
			}
			mustWrite(t, in, body[off:off+n], off)
		}
		checkSum(t, in)
	})
}

// fuzzTempDir is a temporary folder on tmpfs when /dev/shm is there (Sum
// fsyncs), else the test's.
func fuzzTempDir(t testing.TB) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "dockside-inbox-fuzz-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

func TestIncomingSealed(t *testing.T) {
	in := newIncoming(t)
	mustWrite(t, in, []byte("abc"), 0)
	checkSum(t, in)
	if _, err := in.WriteAt([]byte("x"), 0); !errors.Is(err, ErrSealed) {
		t.Errorf("write after Sum: %v", err)
	}
	if err := in.Truncate(0); !errors.Is(err, ErrSealed) {
		t.Errorf("truncate after Sum: %v", err)
	}
	closed := newIncoming(t)
	closed.Close()
	if _, _, err := closed.Sum(context.Background()); !errors.Is(err, ErrSealed) {
		t.Errorf("Sum after Close: %v", err)
	}
}

func TestSpans(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  [][2]int64
		clip int64
		want spans
	}{
		{"merge adjacent", [][2]int64{{0, 5}, {5, 9}}, -1, spans{{0, 9}}},
		{"gap", [][2]int64{{0, 5}, {6, 9}}, -1, spans{{0, 5}, {6, 9}}},
		{"fill gap", [][2]int64{{0, 5}, {6, 9}, {5, 6}}, -1, spans{{0, 9}}},
		{"insert before", [][2]int64{{10, 20}, {0, 5}}, -1, spans{{0, 5}, {10, 20}}},
		{"cover several", [][2]int64{{1, 2}, {3, 4}, {5, 6}, {0, 10}}, -1, spans{{0, 10}}},
		{"inside", [][2]int64{{0, 10}, {2, 3}}, -1, spans{{0, 10}}},
		{"empty", [][2]int64{{4, 4}}, -1, nil},
		{"clip inside", [][2]int64{{0, 5}, {6, 9}}, 7, spans{{0, 5}, {6, 7}}},
		{"clip between", [][2]int64{{0, 5}, {6, 9}}, 6, spans{{0, 5}}},
		{"clip at end", [][2]int64{{0, 5}}, 5, spans{{0, 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s spans
			for _, a := range tc.add {
				s.add(a[0], a[1])
			}
			if tc.clip >= 0 {
				s.clip(tc.clip)
			}
			if len(s) != len(tc.want) {
				t.Fatalf("got %v, want %v", s, tc.want)
			}
			for i := range s {
				if s[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", s, tc.want)
				}
			}
		})
	}
}
