package inbox_test

import (
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/inbox/inboxtest"
)

func TestContractBolt(t *testing.T) {
	inboxtest.Run(t, func(t *testing.T, now func() time.Time, maxSize int64) inbox.Storage {
		s, err := inbox.Open(t.TempDir(), &inbox.Options{Now: now, MaxSize: maxSize})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
