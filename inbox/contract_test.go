package inbox_test

import (
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/inbox/inboxtest"
)

func openBolt(t testing.TB, now func() time.Time, maxSize int64) inbox.Storage {
	s, err := inbox.Open(t.TempDir(), &inbox.Options{Now: now, MaxSize: maxSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContractBolt(t *testing.T) { inboxtest.Run(t, openBolt) }

// BenchmarkReceiveClaimFinishBolt is inboxtest.Bench on bbolt; compare
// with inbox/postgres's BenchmarkReceiveClaimFinish.
func BenchmarkReceiveClaimFinishBolt(b *testing.B) { inboxtest.Bench(b, openBolt) }
