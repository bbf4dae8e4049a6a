package outbox_test

import (
	"sync"
	"testing"

	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/outbox/outboxtest"
)

// bolt is the outboxtest factory of the bbolt outbox: each store a file
// of its own, checked for consistency when the test ends.
func bolt() outboxtest.Factory {
	var mu sync.Mutex
	dirs := map[outbox.Storage]string{}
	open := func(t *testing.T, dir string, opts outbox.Options) outbox.Storage {
		t.Helper()
		s, err := outbox.Open(dir, &opts)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		dirs[s] = dir
		mu.Unlock()
		t.Cleanup(func() {
			for _, err := range outbox.Check(s) {
				t.Errorf("database inconsistent: %v", err)
			}
			s.Close()
		})
		return s
	}
	return outboxtest.Factory{
		Open: func(t *testing.T, opts outbox.Options) outbox.Storage { return open(t, t.TempDir(), opts) },
		Restart: func(t *testing.T, s outbox.Storage, opts outbox.Options) outbox.Storage {
			for _, err := range outbox.Check(s.(*outbox.Store)) {
				t.Errorf("database inconsistent: %v", err)
			}
			s.Close()
			mu.Lock()
			dir := dirs[s]
			mu.Unlock()
			return open(t, dir, opts)
		},
	}
}

// TestContract runs the outbox.Storage contract suite on bbolt.
func TestContract(t *testing.T) { outboxtest.Run(t, bolt()) }
